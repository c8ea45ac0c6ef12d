import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { readAuthMethodsActivity, DAY_MS } from '../../../relay-server/store/activity-queries.ts';
import { migrateToLatest } from '../../../relay-server/store/migrations.ts';
import { openPostgres } from '../../../relay-server/store/open-postgres.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import type { Database } from '../../../relay-server/store/schema.ts';
import { storeOver } from '../../../relay-server/store/store.ts';
import { freshPostgresDatabase, SERVICES } from '../scale/scale-services.ts';

// The admin overview's sums (store/activity-queries.ts) come out the same from SQLite and PostgreSQL:
// day buckets by integer division, distinct counts, sums of CASE, and the locked users' latest lock.

const databases = [
  { name: 'SQLite', open: async () => ({ db: openSqlite(':memory:'), drop: async () => {} }) },
  ...(SERVICES.databaseUrl
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const database = await freshPostgresDatabase();
            return { db: openPostgres(database.url), drop: database.drop };
          },
        },
      ]
    : []),
];

const NOW = Date.UTC(2026, 11, 6, 15, 0);

async function user(db: Kysely<Database>, id: string, pushBlocked = 0) {
  await db
    .insertInto('users')
    .values({
      id,
      upn: `${id}@x.test`,
      upn_key: `${id}@x.test`,
      display_name: id,
      password_hash: null,
      is_admin: 0,
      push_blocked: pushBlocked,
      failure_count: 0,
      locked_until: null,
      created_at: 0,
    })
    .execute();
}

async function signin(
  db: Kysely<Database>,
  id: string,
  userId: string,
  at: number,
  method: 'passwordless' | 'password',
  status: string,
  appId: string | null,
) {
  await db
    .insertInto('signin_requests')
    .values({
      id,
      user_id: userId,
      upn: `${userId}@x.test`,
      app_id: appId,
      app_name: appId,
      ip: '127.0.0.1',
      client_key: '127.0.0.1',
      location: null,
      browser: 'Test',
      os: 'Test',
      method,
      number: null,
      match_mode: null,
      digits: null,
      choices: null,
      browser_token_hash: null,
      status,
      reason: null,
      device_id: null,
      created_at: at,
      expires_at: at,
      decided_at: at,
      completed_at: null,
    })
    .execute();
}

describe.each(databases)('readAuthMethodsActivity() on $name', ({ open }) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('sums users, sign-ins per UTC day, method and status, apps, and who is reported or locked', async () => {
    const { db, drop } = await open();
    cleanup = async () => {
      await db.destroy();
      await drop();
    };
    await migrateToLatest(db);
    await user(db, 'ann');
    await user(db, 'ben', 1);
    await user(db, 'cat');
    for (const [id, owner, connect] of [
      ['d1', 'ann', 'k'],
      ['d2', 'ann', 'k'],
      ['d3', 'cat', null],
    ] as const)
      await db
        .insertInto('devices')
        .values({ id, user_id: owner, name: id, public_key: 'p', connect_public_key: connect, created_at: 0, last_used_at: null })
        .execute();
    await signin(db, 's1', 'ann', NOW - 1000, 'passwordless', 'approved', 'payroll');
    await signin(db, 's2', 'ann', NOW - 2000, 'passwordless', 'denied', 'payroll');
    await signin(db, 's3', 'ben', NOW - DAY_MS, 'password', 'approved', null);
    await signin(db, 's4', 'ben', NOW - 40 * DAY_MS, 'password', 'approved', 'payroll');
    await db
      .insertInto('push_failures')
      .values({ user_id: 'cat', client_key: 'a', failure_count: 10, locked_until: NOW + 60_000 })
      .execute();
    await db
      .insertInto('push_failures')
      .values({ user_id: 'cat', client_key: 'b', failure_count: 10, locked_until: NOW + 120_000 })
      .execute();
    await db
      .insertInto('push_failures')
      .values({ user_id: 'ann', client_key: 'c', failure_count: 10, locked_until: NOW - 1 })
      .execute();

    const activity = await readAuthMethodsActivity(storeOver(db), NOW - 30 * DAY_MS, NOW);

    // A revision-1 device (no connect key) does not count: Cat is not registered.
    expect(activity.users).toEqual({ total: 3, registered: 1, notRegistered: 2 });
    const today = Math.floor(NOW / DAY_MS);
    expect(activity.daily.sort((a, b) => a.day - b.day || a.status.localeCompare(b.status))).toEqual([
      { day: today - 1, method: 'password', status: 'approved', count: 1 },
      { day: today, method: 'passwordless', status: 'approved', count: 1 },
      { day: today, method: 'passwordless', status: 'denied', count: 1 },
    ]);
    expect(activity.apps).toEqual([{ appId: 'payroll', approved: 1, total: 2 }]);
    expect(activity.flagged).toEqual([
      { userId: 'ben', upn: 'ben@x.test', displayName: 'ben', reported: true, lockedUntil: null, lockedClients: 0 },
      { userId: 'cat', upn: 'cat@x.test', displayName: 'cat', reported: false, lockedUntil: NOW + 120_000, lockedClients: 2 },
    ]);
  });
});
