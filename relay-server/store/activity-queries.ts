import { sql } from 'kysely';
import type { Store } from './store.ts';

export const DAY_MS = 86_400_000;

/** Sign-ins of one UTC day with one method and status. */
export interface DailySignins {
  /** Days since 1970-01-01 (UTC). */
  day: number;
  method: string;
  status: string;
  count: number;
}

export interface AppSignins {
  appId: string;
  approved: number;
  total: number;
}

export interface FlaggedUser {
  userId: string;
  upn: string;
  displayName: string;
  /** "It wasn't me": pushes from unknown places paused until an administrator clears it. */
  reported: boolean;
  /** When the latest client lock after failed pushes ends, if one holds now. */
  lockedUntil: number | null;
  lockedClients: number;
}

/**
 * What the admin overview counts (Entra's authentication-methods activity): users with and without
 * an authenticator, sign-ins per day by method and status since `since`, sign-ins per app, and the
 * users who reported a sign-in or are locked out. Counted in the database: a busy relay's 30 days
 * are many rows, and the page needs only their sums.
 */
export async function readAuthMethodsActivity(store: Store, since: number, now: number) {
  const { db } = store;
  // A literal, not a parameter: PostgreSQL matches the GROUP BY expression to the SELECT one only then.
  const dayOf = sql<number>`created_at / ${sql.lit(DAY_MS)}`;
  const [users, registered, daily, apps, reported, locked] = await Promise.all([
    db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow(),
    // A device paired under revision 1 (no connect key) can no longer approve: not registered.
    db
      .selectFrom('devices')
      .where('connect_public_key', 'is not', null)
      .select((eb) => eb.fn.count<number>('user_id').distinct().as('count'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('signin_requests')
      .where('created_at', '>=', since)
      .select((eb) => [dayOf.as('day'), 'method', 'status', eb.fn.countAll<number>().as('count')])
      .groupBy([dayOf, 'method', 'status'])
      .execute(),
    db
      .selectFrom('signin_requests')
      .where('created_at', '>=', since)
      .where('app_id', 'is not', null)
      .select((eb) => [
        'app_id',
        eb.fn.countAll<number>().as('total'),
        eb.fn.sum<number>(eb.case().when('status', '=', 'approved').then(1).else(0).end()).as('approved'),
      ])
      .groupBy('app_id')
      .execute(),
    db.selectFrom('users').where('push_blocked', '=', 1).select(['id', 'upn', 'display_name']).execute(),
    db
      .selectFrom('push_failures')
      .innerJoin('users', 'users.id', 'push_failures.user_id')
      .where('push_failures.locked_until', '>', now)
      .select((eb) => [
        'users.id',
        'users.upn',
        'users.display_name',
        eb.fn.max('push_failures.locked_until').as('locked_until'),
        eb.fn.countAll<number>().as('clients'),
      ])
      .groupBy(['users.id', 'users.upn', 'users.display_name'])
      .execute(),
  ]);

  const flagged = new Map<string, FlaggedUser>();
  for (const user of reported)
    flagged.set(user.id, {
      userId: user.id,
      upn: user.upn,
      displayName: user.display_name,
      reported: true,
      lockedUntil: null,
      lockedClients: 0,
    });
  for (const user of locked) {
    const entry = flagged.get(user.id) ?? {
      userId: user.id,
      upn: user.upn,
      displayName: user.display_name,
      reported: false,
      lockedUntil: null,
      lockedClients: 0,
    };
    entry.lockedUntil = Number(user.locked_until);
    entry.lockedClients = Number(user.clients);
    flagged.set(user.id, entry);
  }

  const totalUsers = Number(users.count);
  const registeredUsers = Number(registered.count);
  return {
    users: { total: totalUsers, registered: registeredUsers, notRegistered: totalUsers - registeredUsers },
    daily: daily.map((row): DailySignins => ({
      day: Math.floor(Number(row.day)),
      method: row.method,
      status: row.status,
      count: Number(row.count),
    })),
    apps: apps.map((row): AppSignins => ({ appId: row.app_id!, approved: Number(row.approved ?? 0), total: Number(row.total) })),
    flagged: [...flagged.values()].sort((a, b) => a.upn.localeCompare(b.upn)),
  };
}

export type AuthMethodsActivity = Awaited<ReturnType<typeof readAuthMethodsActivity>>;
