import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Connection strings of the test PostgreSQL and Redis (tests/global-setup.ts), when running. */
export const SERVICES = {
  databaseUrl: process.env.COUNTERSIGN_TEST_DATABASE_URL,
  redisUrl: process.env.COUNTERSIGN_TEST_REDIS_URL,
};

/**
 * The PIN sealing key every instance on one database shares (PIN_KEY, relay-server/pin/pin-sealing-key.ts):
 * instances with DATA_DIRs of their own would each make a key, and the second would refuse to start.
 */
export const TEST_PIN_KEY = '5eed'.repeat(16);

export const servicesAvailable = Boolean(SERVICES.databaseUrl && SERVICES.redisUrl);

/** A new, empty database for one test file; `drop()` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `countersign_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVICES.databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(SERVICES.databaseUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: SERVICES.databaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
