import { Migrator, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationProvider } from '../../../relay-server/store/migrations.ts';
import { openPostgres } from '../../../relay-server/store/open-postgres.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import type { Database, NewSigninRow } from '../../../relay-server/store/schema.ts';
import { storeOver } from '../../../relay-server/store/store.ts';
import { freshPostgresDatabase, SERVICES } from '../scale/scale-services.ts';

/**
 * One pending sign-in request per user and client, and at most three per user, kept by the
 * database itself (migration 0005; before it, 0002 kept one per user).
 */
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

function request(id: string, userId: string, createdAt: number, clientKey = '127.0.0.1'): NewSigninRow & { user_id: string } {
  return {
    id,
    user_id: userId,
    upn: 'one@example.test',
    app_id: null,
    app_name: null,
    ip: clientKey,
    client_key: clientKey,
    location: null,
    browser: 'Test',
    os: 'Test',
    method: 'passwordless',
    number: '42',
    match_mode: 'type',
    digits: 2,
    choices: null,
    browser_token_hash: 'hash',
    status: 'pending',
    reason: null,
    device_id: null,
    created_at: createdAt,
    expires_at: createdAt + 120_000,
    decided_at: null,
    completed_at: null,
  };
}

async function addUser(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id,
      upn: id,
      upn_key: id,
      display_name: id,
      password_hash: null,
      is_admin: 0,
      push_blocked: 0,
      failure_count: 0,
      locked_until: null,
      created_at: 0,
    })
    .execute();
}

async function statuses(db: Kysely<Database>, userId: string) {
  const rows = await db
    .selectFrom('signin_requests')
    .select(['id', 'status', 'reason'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
  return rows.map((row) => `${row.id}:${row.status}${row.reason ? `/${row.reason}` : ''}`);
}

/** A row as migration 0001 knew it (no client key yet). */
function oldRequest(id: string, userId: string, createdAt: number) {
  const { client_key: _clientKey, ...row } = request(id, userId, createdAt);
  return row;
}

describe.each(databases)('pending requests per user and client on $name', ({ open }) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function opened(migrate: (db: Kysely<Database>) => Promise<void>) {
    const { db, drop } = await open();
    cleanup = async () => {
      await db.destroy();
      await drop();
    };
    await migrate(db);
    return db;
  }

  it('migrations 0002 and 0005 keep the newest of several pending requests, mark the rest superseded, and key it by its IP', async () => {
    const db = await opened(async (db) => void (await new Migrator({ db, provider: migrationProvider }).migrateTo('0001_initial')));
    await addUser(db, 'u1');
    await addUser(db, 'u2');
    const old = db as unknown as Kysely<any>;
    await old
      .insertInto('signin_requests')
      .values([oldRequest('a', 'u1', 1), oldRequest('b', 'u1', 3), oldRequest('c', 'u1', 2), oldRequest('d', 'u2', 1)])
      .execute();
    await migrateToLatest(db);
    expect(await statuses(db, 'u1')).toEqual(['a:cancelled/superseded', 'b:pending', 'c:cancelled/superseded']);
    expect(await statuses(db, 'u2')).toEqual(['d:pending']);
    // 0005 gave the pending row its IP as client key and slot 0: the indexes refuse a second
    // pending row from that client, and another row in that slot.
    await expect(
      db
        .insertInto('signin_requests')
        .values({ ...request('e', 'u1', 4), pending_slot: 1 })
        .execute(),
    ).rejects.toThrow();
    await expect(
      db
        .insertInto('signin_requests')
        .values({ ...request('f', 'u1', 4, '192.0.2.1'), pending_slot: 0 })
        .execute(),
    ).rejects.toThrow();
  });

  it('opens concurrent requests for one user from one client so that exactly the last one stays pending and each older one is superseded once', async () => {
    const db = await opened(migrateToLatest);
    const store = storeOver(db);
    await addUser(db, 'u1');
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
    const results = await Promise.all(ids.map((id, i) => store.signins.openRequest(request(id, 'u1', 10 + i))));
    const superseded = results.flatMap((result) => (result.opened ? result.superseded : []));
    expect(results.every((result) => result.opened)).toBe(true);
    const final = await statuses(db, 'u1');
    expect(final.filter((row) => row.endsWith(':pending'))).toHaveLength(1);
    expect(final.filter((row) => row.endsWith(':cancelled/superseded'))).toHaveLength(ids.length - 1);
    // Every superseded request was announced exactly once, so its devices get one cancel.
    expect(superseded.map((row) => row.id).sort()).toEqual(
      final
        .filter((row) => row.endsWith('superseded'))
        .map((row) => row.split(':')[0])
        .sort(),
    );
  });
});

describe.each(databases)('at most three pending requests per user on $name', ({ open }) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('keeps requests from different clients pending side by side and refuses a fourth client', async () => {
    const { db, drop } = await open();
    cleanup = async () => {
      await db.destroy();
      await drop();
    };
    await migrateToLatest(db);
    const store = storeOver(db);
    await addUser(db, 'u1');
    for (const [i, client] of ['192.0.2.1', '192.0.2.2', '192.0.2.3'].entries()) {
      expect(await store.signins.openRequest(request(`r${i}`, 'u1', 10 + i, client))).toEqual({ opened: true, superseded: [] });
    }
    const fourth = await store.signins.openRequest(request('r3', 'u1', 20, '192.0.2.4'));
    expect(fourth.opened).toBe(false);
    expect(await statuses(db, 'u1')).toEqual(['r0:pending', 'r1:pending', 'r2:pending']);
    // The second client asking again supersedes only its own request, in its slot.
    const again = await store.signins.openRequest(request('r4', 'u1', 21, '192.0.2.2'));
    expect(again.opened && again.superseded.map((row) => row.id)).toEqual(['r1']);
    expect(await statuses(db, 'u1')).toEqual(['r0:pending', 'r1:cancelled/superseded', 'r2:pending', 'r4:pending']);
  });

  it('lets no more than three of many concurrent requests from different clients stay pending', async () => {
    const { db, drop } = await open();
    cleanup = async () => {
      await db.destroy();
      await drop();
    };
    await migrateToLatest(db);
    const store = storeOver(db);
    await addUser(db, 'u1');
    const clients = Array.from({ length: 8 }, (_, i) => `198.51.100.${i + 1}`);
    const opened = await Promise.all(clients.map((client, i) => store.signins.openRequest(request(`c${i}`, 'u1', 10 + i, client))));
    expect(opened.filter((result) => result.opened)).toHaveLength(3);
    expect((await statuses(db, 'u1')).filter((row) => row.endsWith(':pending'))).toHaveLength(3);
  });
});
