import { Migrator, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationProvider } from '../../../relay-server/store/migrations.ts';
import { openPostgres } from '../../../relay-server/store/open-postgres.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import type { Database, NewSigninRow } from '../../../relay-server/store/schema.ts';
import { storeOver } from '../../../relay-server/store/store.ts';
import { freshPostgresDatabase, SERVICES } from '../scale/scale-services.ts';

/** One pending sign-in request per user, kept by the database itself (migration 0002). */
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

function request(id: string, userId: string, createdAt: number): NewSigninRow & { user_id: string } {
  return {
    id,
    user_id: userId,
    upn: 'one@example.test',
    app_id: null,
    app_name: null,
    ip: '127.0.0.1',
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
    .values({ id, upn: id, upn_key: id, display_name: id, password_hash: null, is_admin: 0, push_blocked: 0, failure_count: 0, locked_until: null, created_at: 0 })
    .execute();
}

async function statuses(db: Kysely<Database>, userId: string) {
  const rows = await db.selectFrom('signin_requests').select(['id', 'status', 'reason']).where('user_id', '=', userId).orderBy('id').execute();
  return rows.map((row) => `${row.id}:${row.status}${row.reason ? `/${row.reason}` : ''}`);
}

describe.each(databases)('one pending request per user on $name', ({ open }) => {
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

  it('migration 0002 keeps the newest of several pending requests and marks the rest superseded', async () => {
    const db = await opened(async (db) => void (await new Migrator({ db, provider: migrationProvider }).migrateTo('0001_initial')));
    await addUser(db, 'u1');
    await addUser(db, 'u2');
    await db.insertInto('signin_requests').values([request('a', 'u1', 1), request('b', 'u1', 3), request('c', 'u1', 2), request('d', 'u2', 1)]).execute();
    await migrateToLatest(db);
    expect(await statuses(db, 'u1')).toEqual(['a:cancelled/superseded', 'b:pending', 'c:cancelled/superseded']);
    expect(await statuses(db, 'u2')).toEqual(['d:pending']);
    // The index now refuses a second pending row outright.
    await expect(db.insertInto('signin_requests').values(request('e', 'u1', 4)).execute()).rejects.toThrow();
  });

  it('opens concurrent requests for one user so that exactly the last one stays pending and each older one is superseded once', async () => {
    const db = await opened(migrateToLatest);
    const store = storeOver(db);
    await addUser(db, 'u1');
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
    const superseded = (await Promise.all(ids.map((id, i) => store.signins.openRequest(request(id, 'u1', 10 + i))))).flat();
    const final = await statuses(db, 'u1');
    expect(final.filter((row) => row.endsWith(':pending'))).toHaveLength(1);
    expect(final.filter((row) => row.endsWith(':cancelled/superseded'))).toHaveLength(ids.length - 1);
    // Every superseded request was announced exactly once, so its devices get one cancel.
    expect(superseded.map((row) => row.id).sort()).toEqual(final.filter((row) => row.endsWith('superseded')).map((row) => row.split(':')[0]).sort());
  });
});
