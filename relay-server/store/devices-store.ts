import type { Kysely } from 'kysely';
import type { Database, DeviceRow } from './schema.ts';

/**
 * Whether a device can connect and approve: it holds a connect key (protocol revision 2). A
 * device paired under revision 1 has none; it stays listed, and removable, until added again.
 */
export function isActiveDevice(device: Pick<DeviceRow, 'connect_public_key'>): boolean {
  return device.connect_public_key !== null;
}

export class DevicesStore {
  constructor(private readonly db: Kysely<Database>) {}

  byId(id: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byIds(ids: readonly string[]): Promise<DeviceRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('devices').selectAll().where('id', 'in', ids).execute();
  }

  /** Every device of the user, revision-1 ones included, oldest first. */
  ofUser(userId: string): Promise<DeviceRow[]> {
    return this.db.selectFrom('devices').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  /** The user's devices that can connect and approve (`isActiveDevice`), oldest first. */
  activeOfUser(userId: string): Promise<DeviceRow[]> {
    return this.db
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', userId)
      .where('connect_public_key', 'is not', null)
      .orderBy('created_at')
      .execute();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('devices').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  /** Returns the removed device, or undefined when there was none. */
  remove(id: string): Promise<DeviceRow | undefined> {
    return this.db.deleteFrom('devices').where('id', '=', id).returningAll().executeTakeFirst();
  }
}
