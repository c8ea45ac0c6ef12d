import { Kysely, PostgresDialect, type KyselyConfig } from 'kysely';
import pg from 'pg';
import { preparedStatementName } from './prepared-query.ts';
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
  pool.on('connect', (client) => {
    client.on('error', () => {});
    nameHotStatements(client);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) });
}

/**
 * Sends the statements every sign-in runs (store/prepared-query.ts) as named prepared statements,
 * so the server parses and plans each once per connection instead of on every call: PostgreSQL's
 * CPU per sign-in in `npm run bench -- --instances 2` (docs/performance.md). Kysely calls
 * `query(sql, parameters)`; anything else passes through. Their SQL names explicit columns, so a
 * migration adding a column does not invalidate a kept plan's result type.
 */
function nameHotStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    const name = typeof text === 'string' && Array.isArray(values) && args.length === 2 ? preparedStatementName(text) : undefined;
    return name ? query({ name, text, values }) : query(...args);
  }) as typeof client.query;
}
