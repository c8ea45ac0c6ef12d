import { setImmediate } from 'node:timers';
import { SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

/** What the group commit needs of the SQLite connection (store/open-sqlite.ts wraps libsql). */
export interface GroupCommitDatabase {
  prepare(sql: string): {
    reader: boolean;
    all(parameters: readonly unknown[]): unknown[];
    run(parameters: readonly unknown[]): { changes?: number | bigint | null; lastInsertRowid?: number | bigint | null };
  };
  exec(sql: string): void;
  readonly inTransaction: boolean;
  close(): void;
}

/** The statements of one event-loop turn: one transaction, committed once, answered together. */
interface Batch {
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A statement that can only read. libsql's `reader` is true for `RETURNING` writes too, so that
 * cannot tell; anything else (a `with`, say) simply joins the turn's transaction. `explain` reads
 * too, and must stay out: libsql leaves an `explain query plan` of a write in progress, and a
 * transaction cannot commit past it (the query-plan tests run them).
 */
const READ_ONLY = /^\s*(select|explain)\s/i;

/**
 * Group commit for SQLite (docs/performance.md). Each commit costs about 50 µs whatever it holds
 * (the WAL frames of every page it touched, and the WAL index), and a sign-in makes five writes.
 * So the statements run outside an explicit transaction during one event-loop turn share one
 * transaction, committed when the turn ends. Each still runs at once and alone (SQLite is
 * synchronous), so it is exactly as atomic as before. Nobody sees an answer before it is durable:
 * a statement's result, a read's included (it may have seen the turn's writes), is handed over
 * only after the commit, and a failed commit fails every statement in it.
 *
 * An explicit transaction (`db.transaction()`) commits the open batch first and then has the
 * connection to itself; statements from elsewhere wait for it to end, as with Kysely's own driver.
 * No savepoints: the relay uses none, and Kysely refuses them clearly on a driver without them.
 */
export class GroupCommitDriver implements Driver {
  private batch: Batch | null = null;
  /** The connection holding an explicit transaction, and when it ends. */
  private owner: { connection: GroupCommitConnection; ended: Promise<void>; end: () => void } | null = null;

  constructor(private readonly db: GroupCommitDatabase) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new GroupCommitConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    while (this.owner) await this.owner.ended;
    this.commitBatch();
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.owner = { connection: connection as GroupCommitConnection, ended, end };
    try {
      this.db.exec('BEGIN');
    } catch (error) {
      this.endTransaction();
      throw error;
    }
  }

  async commitTransaction(): Promise<void> {
    try {
      this.db.exec('COMMIT');
    } finally {
      // A failed COMMIT leaves the transaction open in SQLite; Kysely rolls it back next.
      if (!this.db.inTransaction) this.endTransaction();
    }
  }

  async rollbackTransaction(): Promise<void> {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } finally {
      this.endTransaction();
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.commitBatch();
    this.db.close();
  }

  /** Runs one statement for `connection`; its answer waits for the commit that makes it durable. */
  async execute<R>(connection: GroupCommitConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    while (this.owner && this.owner.connection !== connection) await this.owner.ended;
    if (this.owner) return run<R>(this.db, query);
    const batch = this.batch;
    if (!batch && READ_ONLY.test(query.sql) && !this.db.inTransaction) {
      // A read with no write waiting: nothing to commit, nothing it could see early.
      return run<R>(this.db, query);
    }
    const current = batch ?? this.openBatch();
    let result: QueryResult<R>;
    try {
      result = run<R>(this.db, query);
    } catch (error) {
      // Most errors undo the statement alone; a few (disk full, I/O) undo the whole transaction.
      if (!this.db.inTransaction) this.failBatch(current, error);
      throw error;
    }
    await current.committed;
    return result;
  }

  private openBatch(): Batch {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // A statement whose caller already failed does not wait: no unhandled rejection from here.
    committed.catch(() => undefined);
    const batch: Batch = { committed, resolve, reject };
    this.db.exec('BEGIN');
    this.batch = batch;
    setImmediate(() => this.commitBatch());
    return batch;
  }

  private commitBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    try {
      this.db.exec('COMMIT');
      batch.resolve();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      batch.reject(error);
    }
  }

  private failBatch(batch: Batch, error: unknown): void {
    if (this.batch === batch) this.batch = null;
    batch.reject(error);
  }

  private endTransaction(): void {
    const owner = this.owner;
    this.owner = null;
    owner?.end();
  }
}

class GroupCommitConnection implements DatabaseConnection {
  constructor(private readonly driver: GroupCommitDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute<R>(this, query);
  }

  // eslint-disable-next-line require-yield -- Kysely's interface; the relay never streams.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by the SQLite store');
  }
}

function run<R>(db: GroupCommitDatabase, query: CompiledQuery): QueryResult<R> {
  const statement = db.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

/** Kysely's SQLite dialect with the group-commit driver. */
export class GroupCommitSqliteDialect extends SqliteDialect {
  constructor(private readonly database: GroupCommitDatabase) {
    super({ database: database as never });
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(this.database);
  }
}
