import { Kysely, PostgresDialect, type KyselyConfig } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

// Times are bigint ms; they fit in a double, so read them back as numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** PostgreSQL when DATABASE_URL is set; the same tables, migrations and queries as SQLite. */
export function openPostgres(databaseUrl: string, options: { log?: KyselyConfig['log'] } = {}): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the relay; the pool replaces it.
  pool.on('error', () => {});
  // A client checked out while the connection drops (between a transaction's queries, say) emits
  // 'error' with no pool listener attached: unheard, that killed the process (found by
  // tests/integration/faults/database-loss.test.ts). The query or the next checkout still fails.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) });
}
