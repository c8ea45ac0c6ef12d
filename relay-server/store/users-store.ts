import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { preparedQuery } from './prepared-query.ts';
import type { Database, UserRow } from './schema.ts';

/** The user columns opening a push needs (fewer columns, cheaper rows on every sign-in). */
const PUSH_USER_COLUMNS = ['id', 'upn', 'display_name', 'password_hash', 'push_blocked', 'locked_until'] as const;

/** A user with what opening a push needs, read at once. */
export interface PushTarget {
  user: Pick<UserRow, (typeof PUSH_USER_COLUMNS)[number]>;
  /** The user's devices that can approve (revision 2, see `isActiveDevice`), oldest first. */
  deviceIds: string[];
  /** Push requests created for the user since the time asked about (the push budget). */
  recentPushes: number;
}

export interface NewUser {
  upn: string;
  displayName: string;
  passwordHash: string | null;
  isAdmin?: boolean;
  groups?: string[];
}

/** Users and their group membership. UPNs keep their case and match without it. */
export class UsersStore {
  // Run for every sign-in, so compiled once (store/prepared-query.ts).
  private readonly pushTargetByUpn;
  private readonly pushTargetById;

  constructor(private readonly db: Kysely<Database>) {
    this.pushTargetByUpn = preparedQuery(db, (upnKey: string, since: number) => pushTargetQuery(db, since).where('users.upn_key', '=', upnKey));
    this.pushTargetById = preparedQuery(db, (id: string, since: number) => pushTargetQuery(db, since).where('users.id', '=', id));
  }

  byUpn(upn: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('upn_key', '=', upn.toLowerCase()).executeTakeFirst();
  }

  /** The user (by sign-in name or id) with its devices and recent pushes, in one query. */
  async pushTarget(by: { upn: string } | { id: string }, pushesSince: number): Promise<PushTarget | undefined> {
    const { rows } = 'upn' in by ? await this.pushTargetByUpn(by.upn.toLowerCase(), pushesSince) : await this.pushTargetById(by.id, pushesSince);
    const first = rows[0];
    if (!first) return undefined;
    const { device_id: _device, recent_pushes: recentPushes, ...user } = first;
    return { user, deviceIds: rows.flatMap((row) => (row.device_id === null ? [] : [row.device_id])), recentPushes: Number(recentPushes ?? 0) };
  }

  byId(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('upn_key').execute();
  }

  /** Returns null when the UPN is taken. */
  async create(user: NewUser, now: number): Promise<UserRow | null> {
    const id = randomId();
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('users')
        .values({
          id,
          upn: user.upn,
          upn_key: user.upn.toLowerCase(),
          display_name: user.displayName,
          password_hash: user.passwordHash,
          is_admin: user.isAdmin ? 1 : 0,
          push_blocked: 0,
          failure_count: 0,
          locked_until: null,
          created_at: now,
        })
        .onConflict((oc) => oc.column('upn_key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) return null;
      await setGroups(trx, id, user.groups ?? [], now);
      return inserted;
    });
  }

  async update(
    id: string,
    changes: { displayName?: string; passwordHash?: string | null; isAdmin?: boolean; groups?: string[] },
    now: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const values: Partial<UserRow> = {};
      if (changes.displayName !== undefined) values.display_name = changes.displayName;
      if (changes.passwordHash !== undefined) values.password_hash = changes.passwordHash;
      if (changes.isAdmin !== undefined) values.is_admin = changes.isAdmin ? 1 : 0;
      if (Object.keys(values).length > 0) await trx.updateTable('users').set(values).where('id', '=', id).execute();
      if (changes.groups) await setGroups(trx, id, changes.groups, now);
    });
  }

  async groupsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('user_groups')
      .innerJoin('groups', 'groups.id', 'user_groups.group_id')
      .select('groups.name')
      .where('user_groups.user_id', '=', userId)
      .orderBy('groups.name')
      .execute();
    return rows.map((row) => row.name);
  }

  async listGroups(): Promise<{ name: string; members: number }[]> {
    const rows = await this.db
      .selectFrom('groups')
      .leftJoin('user_groups', 'user_groups.group_id', 'groups.id')
      .select(['groups.name', (eb) => eb.fn.count<string | number>('user_groups.user_id').as('members')])
      .groupBy('groups.name')
      .orderBy('groups.name')
      .execute();
    return rows.map((row) => ({ name: row.name, members: Number(row.members) }));
  }

  /** Records a failed push (deny, wrong number, expiry) and locks pushes with a doubling backoff at the threshold. */
  async recordFailure(userId: string, threshold: number, now: number): Promise<void> {
    const user = await this.db
      .updateTable('users')
      .set((eb) => ({ failure_count: eb('failure_count', '+', 1) }))
      .where('id', '=', userId)
      .returning(['failure_count'])
      .executeTakeFirst();
    if (!user || user.failure_count < threshold) return;
    const lockMs = Math.min(60_000 * 2 ** Math.min(user.failure_count - threshold, 20), 24 * 3_600_000);
    await this.db.updateTable('users').set({ locked_until: now + lockMs }).where('id', '=', userId).execute();
  }

  async recordSuccess(userId: string): Promise<void> {
    // Conditional, so the common case (nothing to reset) writes nothing.
    await this.db
      .updateTable('users')
      .set({ failure_count: 0, locked_until: null })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('failure_count', '!=', 0), eb('locked_until', 'is not', null)]))
      .execute();
  }

  async setPushBlocked(userId: string, blocked: boolean): Promise<void> {
    const values = blocked ? { push_blocked: 1 } : { push_blocked: 0, failure_count: 0, locked_until: null };
    await this.db.updateTable('users').set(values).where('id', '=', userId).execute();
  }
}

/**
 * The user's row once per active device (device_id null when it has none), with its pushes since
 * `since`. A revision-1 device (no connect key) cannot approve, so it is no push target.
 */
function pushTargetQuery(db: Kysely<Database>, since: number) {
  return db
    .selectFrom('users')
    .leftJoin('devices', (join) => join.onRef('devices.user_id', '=', 'users.id').on('devices.connect_public_key', 'is not', null))
    .select(PUSH_USER_COLUMNS.map((column) => `users.${column}` as const))
    .select('devices.id as device_id')
    .select((eb) =>
      eb
        .selectFrom('signin_requests')
        .select((count) => count.fn.countAll<string | number>().as('pushes'))
        .whereRef('signin_requests.user_id', '=', 'users.id')
        .where('signin_requests.method', 'in', ['passwordless', 'push_after_password'])
        .where('signin_requests.created_at', '>=', since)
        .as('recent_pushes'),
    )
    .orderBy('devices.created_at');
}

async function setGroups(trx: Kysely<Database>, userId: string, groups: string[], now: number): Promise<void> {
  await trx.deleteFrom('user_groups').where('user_id', '=', userId).execute();
  for (const name of new Set(groups)) {
    await trx.insertInto('groups').values({ id: randomId(), name, created_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const group = await trx.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    await trx.insertInto('user_groups').values({ user_id: userId, group_id: group.id }).execute();
  }
}
