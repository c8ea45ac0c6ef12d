import type { Kysely } from 'kysely';
import type { Database, OidcSigningKeysTable } from './schema.ts';

export type SigningKeyRow = OidcSigningKeysTable;

/** The OpenID Provider's ID token signing keys (oidc/signing-keys.ts makes and rotates them). */
export class OidcSigningKeysStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds a key unless one with its kid exists (the first writer wins). */
  async addIfAbsent(kid: string, privateJwk: string, createdAt: number): Promise<void> {
    await this.db
      .insertInto('oidc_signing_keys')
      .values({ kid, private_jwk: privateJwk, created_at: createdAt, retired_at: null })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
  }

  /** Every key, newest first. */
  all(): Promise<SigningKeyRow[]> {
    return this.db.selectFrom('oidc_signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
  }

  /** A fingerprint of the key set, so an instance notices another one's rotation. */
  async version(): Promise<string> {
    const row = await this.db
      .selectFrom('oidc_signing_keys')
      .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('created_at').as('newest'), eb.fn.max('retired_at').as('retired')])
      .executeTakeFirstOrThrow();
    return `${row.count}:${String(row.newest)}:${String(row.retired)}`;
  }

  async retireCurrent(now: number): Promise<void> {
    await this.db.updateTable('oidc_signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
  }

  async deleteRetiredBefore(before: number): Promise<void> {
    await this.db.deleteFrom('oidc_signing_keys').where('retired_at', '<', before).execute();
  }
}
