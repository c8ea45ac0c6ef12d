import type { Kysely } from 'kysely';
import type { Database, DeviceRow } from './schema.ts';

export class DevicesStore {
  constructor(private readonly db: Kysely<Database>) {}

  byId(id: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byIds(ids: readonly string[]): Promise<DeviceRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('devices').selectAll().where('id', 'in', ids).execute();
  }

  ofUser(userId: string): Promise<DeviceRow[]> {
    return this.db.selectFrom('devices').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('devices').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  /** Returns the removed device, or undefined when there was none. */
  remove(id: string): Promise<DeviceRow | undefined> {
    return this.db.deleteFrom('devices').where('id', '=', id).returningAll().executeTakeFirst();
  }
}
