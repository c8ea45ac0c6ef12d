import type { ExpressionBuilder, Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { preparedQuery } from './prepared-query.ts';
import type { Database, UserRow } from './schema.ts';
import { FAMILIAR_CLIENT_PREFIX } from './familiar-browsers-store.ts';

/** How long failed pushes lock a client out of a user's pushes (docs/protocol.md section 5). */
export const FAILURE_LOCK_MS = 15 * 60_000;

/** The user columns opening a push needs (fewer columns, cheaper rows on every sign-in). */
const PUSH_USER_COLUMNS = ['id', 'upn', 'display_name', 'password_hash', 'push_blocked'] as const;

/** A user with what opening a push needs, read at once. */
export interface PushTarget {
  user: Pick<UserRow, (typeof PUSH_USER_COLUMNS)[number]>;
  /** The user's devices that can approve (revision 2, see `isActiveDevice`), oldest first. */
  deviceIds: string[];
  /** Requests this client made for the user in the last 10 minutes, codes included (the push budget, section 6). */
  clientPushes: number;
  /** Pushes the user got from unfamiliar clients together in the last hour (`maxUnfamiliarPushesPerHour`). */
  unfamiliarHourPushes: number;
  /** Pushes the user got from this client in the last hour (an unfamiliar client's share of them). */
  clientHourPushes: number;
  /** Until when failed pushes lock this client out of pushes for the user; null when not locked. */
  clientLockedUntil: number | null;
}

export interface NewUser {
  upn: string;
  displayName: string;
  passwordHash: string | null;
  isAdmin?: boolean;
  groups?: string[];
  email?: string | null;
}

/** Users and their group membership. UPNs keep their case and match without it. */
export class UsersStore {
  // Run for every sign-in, so compiled once (store/prepared-query.ts).
  private readonly pushTargetByUpn;
  private readonly pushTargetById;

  constructor(private readonly db: Kysely<Database>) {
    this.pushTargetByUpn = preparedQuery(db, (upnKey: string, since: number, hourSince: number, clientKey: string) =>
      pushTargetQuery(db, since, hourSince, clientKey).where('users.upn_key', '=', upnKey),
    );
    this.pushTargetById = preparedQuery(db, (id: string, since: number, hourSince: number, clientKey: string) =>
      pushTargetQuery(db, since, hourSince, clientKey).where('users.id', '=', id),
    );
  }

  byUpn(upn: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('upn_key', '=', upn.toLowerCase()).executeTakeFirst();
  }

  /** The user (by sign-in name or id) with its devices, recent pushes and this client's lock, in one query. */
  async pushTarget(
    by: { upn: string } | { id: string },
    windows: { since: number; hourSince: number },
    clientKey: string,
  ): Promise<PushTarget | undefined> {
    const { since, hourSince } = windows;
    const { rows } =
      'upn' in by
        ? await this.pushTargetByUpn(by.upn.toLowerCase(), since, hourSince, clientKey)
        : await this.pushTargetById(by.id, since, hourSince, clientKey);
    const first = rows[0];
    if (!first) return undefined;
    const {
      device_id: _device,
      client_pushes: clientPushes,
      unfamiliar_hour_pushes: unfamiliarHourPushes,
      client_hour_pushes: clientHourPushes,
      client_locked_until: lockedUntil,
      ...user
    } = first;
    return {
      user,
      deviceIds: rows.flatMap((row) => (row.device_id === null ? [] : [row.device_id])),
      clientPushes: Number(clientPushes ?? 0),
      unfamiliarHourPushes: Number(unfamiliarHourPushes ?? 0),
      clientHourPushes: Number(clientHourPushes ?? 0),
      clientLockedUntil: lockedUntil === null || lockedUntil === undefined ? null : Number(lockedUntil),
    };
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
          email: user.email ?? null,
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
    changes: { displayName?: string; email?: string | null; passwordHash?: string | null; isAdmin?: boolean; groups?: string[] },
    now: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const values: Partial<UserRow> = {};
      if (changes.displayName !== undefined) values.display_name = changes.displayName;
      if (changes.email !== undefined) values.email = changes.email;
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

  /**
   * Records a failed push (deny, wrong number, expiry) for the user from this client, and locks
   * that client out of the user's pushes with a doubling backoff at the threshold. Other clients,
   * the real user's among them, keep their own counts (docs/protocol.md section 6).
   */
  async recordFailure(userId: string, clientKey: string, threshold: number, now: number): Promise<void> {
    const row = await this.db
      .insertInto('push_failures')
      .values({ user_id: userId, client_key: clientKey, failure_count: 1, locked_until: null })
      .onConflict((oc) =>
        oc.columns(['user_id', 'client_key']).doUpdateSet((eb) => ({ failure_count: eb('push_failures.failure_count', '+', 1) })),
      )
      .returning(['failure_count'])
      .executeTakeFirst();
    const failures = Number(row?.failure_count ?? 0);
    if (failures < threshold) return;
    // docs/protocol.md revision 3 section 5: failures lock that client out for that user for 15 minutes.
    const lockMs = FAILURE_LOCK_MS;
    await this.db
      .updateTable('push_failures')
      .set({ locked_until: now + lockMs })
      .where('user_id', '=', userId)
      .where('client_key', '=', clientKey)
      .execute();
  }

  /** The user's failed pushes over every client, and the latest lock any client is under (admin views). */
  async pushFailureSummary(userId: string): Promise<{ failureCount: number; lockedUntil: number | null; lockedClients: number }> {
    const rows = await this.db
      .selectFrom('push_failures')
      .select(['failure_count', 'locked_until'])
      .where('user_id', '=', userId)
      .execute();
    const locks = rows
      .map((row) => (row.locked_until === null ? null : Number(row.locked_until)))
      .filter((until): until is number => until !== null);
    return {
      failureCount: rows.reduce((total, row) => total + Number(row.failure_count), 0),
      lockedUntil: locks.length > 0 ? Math.max(...locks) : null,
      lockedClients: locks.length,
    };
  }

  /** A successful sign-in from this client resets its failure count for the user. */
  async recordSuccess(userId: string, clientKey: string): Promise<void> {
    await this.db.deleteFrom('push_failures').where('user_id', '=', userId).where('client_key', '=', clientKey).execute();
  }

  async setPushBlocked(userId: string, blocked: boolean): Promise<void> {
    const values = blocked ? { push_blocked: 1 } : { push_blocked: 0, failure_count: 0, locked_until: null };
    await this.db.updateTable('users').set(values).where('id', '=', userId).execute();
    // Clearing the block clears every client's lock too: the administrator has looked.
    if (!blocked) await this.db.deleteFrom('push_failures').where('user_id', '=', userId).execute();
  }
}

/**
 * The user's row once per active device (device_id null when it has none), with its pushes since
 * `since` (all, and this client's) and this client's push lock. A revision-1 device (no connect
 * key) cannot approve, so it is no push target. Counted pushes are those of
 * `SigninsStore.oldestPushSince`: refused attempts are logged without a number and do not count.
 */
/**
 * The user's requests (push sign-ins that got a number, and sign-ins by code) since `since`, as a
 * count subquery. Cancelled and superseded ones count too: each reached the person.
 */
function pushesSince(eb: ExpressionBuilder<Database, 'users' | 'devices'>, since: number) {
  return eb
    .selectFrom('signin_requests')
    .select((count) => count.fn.countAll<string | number>().as('pushes'))
    .whereRef('signin_requests.user_id', '=', 'users.id')
    .where('signin_requests.method', 'in', ['passwordless', 'push_after_password'])
    .where('signin_requests.created_at', '>=', since)
    .where('signin_requests.number', 'is not', null);
}

/** Only pushes: a sign-in by code pushes nothing (docs/protocol.md section 5). */
function onlyPushesSince(eb: ExpressionBuilder<Database, 'users' | 'devices'>, since: number) {
  return pushesSince(eb, since).where('signin_requests.match_mode', '<>', 'code');
}

function pushTargetQuery(db: Kysely<Database>, since: number, hourSince: number, clientKey: string) {
  return db
    .selectFrom('users')
    .leftJoin('devices', (join) => join.onRef('devices.user_id', '=', 'users.id').on('devices.connect_public_key', 'is not', null))
    .select(PUSH_USER_COLUMNS.map((column) => `users.${column}` as const))
    .select('devices.id as device_id')
    .select((eb) => pushesSince(eb, since).where('signin_requests.client_key', '=', clientKey).as('client_pushes'))
    .select((eb) =>
      onlyPushesSince(eb, hourSince)
        .where('signin_requests.client_key', 'not like', `${FAMILIAR_CLIENT_PREFIX}%`)
        .as('unfamiliar_hour_pushes'),
    )
    .select((eb) => onlyPushesSince(eb, hourSince).where('signin_requests.client_key', '=', clientKey).as('client_hour_pushes'))
    .select((eb) =>
      eb
        .selectFrom('push_failures')
        .select('push_failures.locked_until')
        .whereRef('push_failures.user_id', '=', 'users.id')
        .where('push_failures.client_key', '=', clientKey)
        .as('client_locked_until'),
    )
    .orderBy('devices.created_at');
}

async function setGroups(trx: Kysely<Database>, userId: string, groups: string[], now: number): Promise<void> {
  await trx.deleteFrom('user_groups').where('user_id', '=', userId).execute();
  for (const name of new Set(groups)) {
    await trx
      .insertInto('groups')
      .values({ id: randomId(), name, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const group = await trx.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    await trx.insertInto('user_groups').values({ user_id: userId, group_id: group.id }).execute();
  }
}
