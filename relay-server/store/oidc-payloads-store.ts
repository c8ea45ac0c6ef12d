import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A payload of the OpenID Provider as it stores it: JSON, with a few fields it looks things up by. */
export type OidcPayload = Record<string, unknown>;

/**
 * The OpenID Provider's state (sessions, grants, codes, tokens, interactions), one row per model
 * and id (oidc/store-adapter.ts speaks the provider's adapter interface over it), so every
 * instance on one database shares it.
 */
export class OidcPayloadsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsert(model: string, id: string, payload: OidcPayload, expiresAt: number | null): Promise<void> {
    const row = {
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
      expires_at: expiresAt,
      consumed_at: null,
    };
    await this.db
      .insertInto('oidc_payloads')
      .values({ model, id, ...row })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(row))
      .execute();
  }

  /** The unexpired payload found by its id or uid; a consumed one carries `consumed` (seconds), which the provider refuses. */
  async findBy(model: string, column: 'id' | 'uid', value: string, now: number): Promise<OidcPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_payloads')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('model', '=', model)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= now)) return undefined;
    const payload = JSON.parse(row.payload) as OidcPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
  }

  async consume(model: string, id: string, now: number): Promise<void> {
    await this.db.updateTable('oidc_payloads').set({ consumed_at: now }).where('model', '=', model).where('id', '=', id).execute();
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
  }

  /** How many sign-ins for apps wait in the store, unexpired (the cap of oidc/auth-request-caps.ts). */
  async countLiveInteractions(now: number): Promise<number> {
    const stored = await this.db
      .selectFrom('oidc_payloads')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('model', '=', 'Interaction')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(stored?.n ?? 0);
  }

  /** Deletes expired state; run by the relay's expiry sweep. */
  async sweepExpired(now: number): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).execute();
  }
}
