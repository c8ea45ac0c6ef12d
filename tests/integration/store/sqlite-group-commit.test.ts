import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kysely, sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sqliteConnection } from '../../../relay-server/store/open-sqlite.ts';
import { GroupCommitSqliteDialect, type GroupCommitDatabase } from '../../../relay-server/store/sqlite-group-commit.ts';

interface Tables {
  notes: { id: string; body: string };
}

/** The relay's connection, watched: which transaction statements it ran, and failures on demand. */
function watched(file: string) {
  const real = sqliteConnection(file);
  const control: string[] = [];
  let failNextCommit = false;
  /** A statement whose SQL contains this ends the transaction and fails, as a full disk does. */
  let abortOn: string | null = null;
  const connection: GroupCommitDatabase = {
    prepare(text) {
      const statement = real.prepare(text);
      if (abortOn === null || !text.includes(abortOn)) return statement;
      return {
        ...statement,
        reader: statement.reader,
        run() {
          real.exec('ROLLBACK');
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      };
    },
    exec(text) {
      control.push(text);
      if (text === 'COMMIT' && failNextCommit) {
        failNextCommit = false;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }
      real.exec(text);
    },
    get inTransaction() {
      return real.inTransaction;
    },
    close: () => real.close(),
  };
  const db = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(connection) });
  return {
    db,
    connection,
    control,
    failNextCommit: () => (failNextCommit = true),
    abortOn: (marker: string | null) => (abortOn = marker),
  };
}

const insert = (db: Kysely<Tables>, id: string, body = 'x') => db.insertInto('notes').values({ id, body }).execute();
const ids = async (db: Kysely<Tables>) => (await db.selectFrom('notes').select('id').orderBy('id').execute()).map((row) => row.id);

describe('SQLite group commit (store/sqlite-group-commit.ts)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-group-commit-'));
  let counter = 0;
  const open: Kysely<Tables>[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fresh() {
    const store = watched(path.join(dir, `db-${++counter}.sqlite`));
    open.push(store.db);
    await sql`create table notes (id text primary key, body text not null)`.execute(store.db);
    store.control.length = 0;
    return store;
  }

  it('commits the writes of one turn together, and answers each only once it is committed', async () => {
    const { db, connection, control } = await fresh();
    const committedWhenAnswered: boolean[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((id) => insert(db, id).then(() => committedWhenAnswered.push(!connection.inTransaction))),
    );
    expect(control).toEqual(['BEGIN', 'COMMIT']);
    expect(committedWhenAnswered).toEqual([true, true, true, true, true]);
    expect(await ids(db)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('runs a read with no write waiting outside any transaction, and holds a read that saw a waiting write until it commits', async () => {
    const { db, connection, control } = await fresh();
    await ids(db);
    expect(control).toEqual([]);
    const write = insert(db, 'a');
    const read = ids(db).then((seen) => ({ seen, committed: !connection.inTransaction }));
    expect(await read).toEqual({ seen: ['a'], committed: true });
    await write;
    expect(control).toEqual(['BEGIN', 'COMMIT']);
  });

  it('groups a write that returns rows like any other write', async () => {
    const { db, control } = await fresh();
    const returned = await db.insertInto('notes').values({ id: 'a', body: 'x' }).returning('id').execute();
    expect(returned).toEqual([{ id: 'a' }]);
    expect(control).toEqual(['BEGIN', 'COMMIT']);
  });

  it('fails a statement that breaks a constraint alone; the rest of its turn commits', async () => {
    const { db } = await fresh();
    await insert(db, 'a');
    const results = await Promise.allSettled([insert(db, 'b'), insert(db, 'a', 'again'), insert(db, 'c')]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ids(db)).toEqual(['a', 'b', 'c']);
    expect((await db.selectFrom('notes').select('body').where('id', '=', 'a').executeTakeFirstOrThrow()).body).toBe('x');
  });

  it('fails every statement of a turn whose commit fails, keeps none of them, and goes on', async () => {
    const store = await fresh();
    store.failNextCommit();
    const results = await Promise.allSettled([insert(store.db, 'a'), insert(store.db, 'b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(store.connection.inTransaction).toBe(false);
    expect(await ids(store.db)).toEqual([]);
    await insert(store.db, 'c');
    expect(await ids(store.db)).toEqual(['c']);
  });

  it('fails the earlier statements of a turn when a later one ends the transaction (a full disk)', async () => {
    const store = await fresh();
    store.abortOn("'doomed'");
    const earlier = insert(store.db, 'a');
    const doomed = sql`insert into notes (id, body) values ('z', 'doomed')`.execute(store.db);
    const results = await Promise.allSettled([earlier, doomed]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    store.abortOn(null);
    expect(await ids(store.db)).toEqual([]);
    await insert(store.db, 'b');
    expect(await ids(store.db)).toEqual(['b']);
  });

  it('commits the waiting turn before an explicit transaction, which then has the connection to itself', async () => {
    const { db, connection, control } = await fresh();
    const before = insert(db, 'a');
    for (let hop = 0; hop < 100 && !connection.inTransaction; hop++) await Promise.resolve();
    expect(connection.inTransaction).toBe(true);
    let outside: Promise<unknown> = Promise.resolve();
    const seenInside = await db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 'b', body: 'x' }).execute();
      // A statement from elsewhere while the transaction is open waits for it to end.
      outside = insert(db, 'c');
      await new Promise((resolve) => setImmediate(resolve));
      return (await trx.selectFrom('notes').select('id').orderBy('id').execute()).map((row) => row.id);
    });
    await Promise.all([before, outside]);
    expect(seenInside).toEqual(['a', 'b']);
    expect(control).toEqual(['BEGIN', 'COMMIT', 'BEGIN', 'COMMIT', 'BEGIN', 'COMMIT']);
    expect(await ids(db)).toEqual(['a', 'b', 'c']);
  });

  it('rolls back a failed explicit transaction and keeps serving', async () => {
    const { db } = await fresh();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 'a', body: 'x' }).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await insert(db, 'b');
    expect(await ids(db)).toEqual(['b']);
  });

  it('keeps every write it answered when the process is killed right after (a crash)', async () => {
    const file = path.join(dir, 'crash.sqlite');
    const module = pathToFileURL(path.resolve('relay-server/store/sqlite-group-commit.ts')).href;
    const opener = pathToFileURL(path.resolve('relay-server/store/open-sqlite.ts')).href;
    // The child writes in bursts and prints each id once its write is answered; it is killed mid-run.
    const script = `
      const { Kysely, sql } = await import('kysely');
      const { GroupCommitSqliteDialect } = await import('${module}');
      const { sqliteConnection } = await import('${opener}');
      const db = new Kysely({ dialect: new GroupCommitSqliteDialect(sqliteConnection(${JSON.stringify(file)})) });
      await sql\`create table notes (id text primary key, body text not null)\`.execute(db);
      for (let burst = 0; burst < 10_000; burst++) {
        await Promise.all([0, 1, 2, 3].map(async (i) => {
          const id = burst + '-' + i;
          await db.insertInto('notes').values({ id, body: 'x' }).execute();
          process.stdout.write(id + '\\n');
        }));
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        if (printed.split('\n').length > 400) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    const answered = printed.split('\n').filter((line) => /^\d+-\d$/.test(line));
    expect(answered.length).toBeGreaterThanOrEqual(400);
    const survivor = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(sqliteConnection(file)) });
    open.push(survivor);
    const kept = new Set(await ids(survivor));
    expect(answered.filter((id) => !kept.has(id))).toEqual([]);
  });
});
