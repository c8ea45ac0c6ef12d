import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A secret the relay makes for itself: 32 bytes from the CSPRNG the first time it is asked for,
 * kept in the database (so every instance on one database shares it), the same ever after. The
 * first writer wins when instances start together.
 */
export async function relaySecret(db: Kysely<Database>, name: string): Promise<Buffer> {
  await db
    .insertInto('relay_secrets')
    .values({ name, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('relay_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}
