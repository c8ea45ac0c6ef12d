import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { Kysely, type KyselyConfig } from 'kysely';
import Database from 'libsql';
import { ensurePrivateDir, makePrivate } from './private-files.ts';
import type { Database as Tables } from './schema.ts';
import { GroupCommitSqliteDialect, type GroupCommitDatabase } from './sqlite-group-commit.ts';

/**
 * libsql aborts the whole process when a boolean, Date or object is bound (docs/environment.md), so every
 * parameter passes through `toSqliteValue` before it reaches the driver.
 */
function toSqliteValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value;
}

/** The relay's SQLite connection on `file` (exported for the group commit's tests). */
export function sqliteConnection(file: string): GroupCommitDatabase {
  const db = new Database(file);
  try {
    db.exec('PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');
    // A 64 MiB page cache and memory-mapped reads instead of SQLite's 2 MiB default and a read()
    // per page: more sign-ins per second in `npm run bench` once the sign-in log outgrew 2 MiB.
    // Checkpoints every 8,000 WAL pages (32 MiB) instead of 1,000: a page that every sign-in
    // touches is copied back once per checkpoint, not once per 1,000 pages (docs/performance.md).
    db.exec('PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456; PRAGMA wal_autocheckpoint = 8000;');
    // The relay holds the file exclusively while it runs: no file-lock system calls around every
    // statement (+8 %), and a second relay started on the same DATA_DIR is refused at once rather
    // than let in to fail later. An empty write transaction takes the lock now.
    db.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`${file} is in use by another process (is another relay running on this DATA_DIR?)`, { cause: error });
    }
    throw error;
  }
  const prepare = db.prepare.bind(db);
  // Kysely prepares every query anew; compiling the SQL was half the cost of a query (found by
  // `npm run bench -- --cpu-prof`). Kysely runs one query at a time on this connection, so a
  // statement is never in use twice at once; the cache is bounded as query shapes are (IN lists vary).
  // `reader` is a native call on every read, and never changes for a statement: keep it too.
  const statements = new Map<string, { statement: ReturnType<typeof prepare>; reader: boolean }>();
  const cached = (sql: string) => {
    let entry = statements.get(sql);
    if (!entry) {
      const statement = prepare(sql);
      entry = { statement, reader: statement.reader };
      if (statements.size >= 500) statements.delete(statements.keys().next().value!);
      statements.set(sql, entry);
    }
    return entry;
  };
  return {
    exec(sql: string) {
      db.exec(sql);
    },
    get inTransaction() {
      return db.inTransaction;
    },
    close() {
      // libsql cannot finalize a statement, so prepared ones keep the connection, and with it the
      // exclusive lock, alive until they are collected. Leaving WAL (a final checkpoint) and then
      // exclusive mode drops the lock at the next read, so a relay restarted in this process can
      // open the file at once; the next open turns WAL on again.
      statements.clear();
      try {
        db.exec('PRAGMA journal_mode = DELETE; PRAGMA locking_mode = NORMAL; SELECT count(*) FROM sqlite_master;');
      } finally {
        db.close();
      }
    },
    prepare(sql: string) {
      const { statement, reader } = cached(sql);
      const convert = (params: readonly unknown[]) => params.map(toSqliteValue);
      return {
        reader,
        all: (params: readonly unknown[]) => statement.all(convert(params)),
        run: (params: readonly unknown[]) => statement.run(convert(params)),
      };
    },
  };
}

/** Opens (creating if needed) `{dataDir}/countersign.db`, 0600 in a 0700 DATA_DIR (store/private-files.ts); `:memory:` for tests. `log` watches the queries (tests, and the statement count in /metrics). */
export function openSqlite(dataDir: string | ':memory:', options: { log?: KyselyConfig['log'] } = {}): Kysely<Tables> {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    ensurePrivateDir(dataDir);
    file = path.join(dataDir, 'countersign.db');
    // 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(file, 'a', 0o600));
    makePrivate(file, `${file}-wal`, `${file}-shm`);
  }
  return new Kysely<Tables>({
    dialect: new GroupCommitSqliteDialect(sqliteConnection(file)),
    ...(options.log ? { log: options.log } : {}),
  });
}
