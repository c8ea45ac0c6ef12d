import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

/**
 * The OpenID Provider's storage (oidc-provider's adapter interface) on the relay's own database,
 * so every instance on one SQLite or PostgreSQL database shares sessions, grants, codes and
 * interactions. Clients are not stored here: `Client` reads the registered apps.
 */
export function kyselyAdapter(store: Store, clock: Clock): new (model: string) => Adapter {
  return class {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      return upsert(store.db, this.model, id, payload, expiresIn > 0 ? clock.now() + expiresIn * 1000 : null);
    }
    async find(id: string) {
      if (this.model === 'Client') return findClient(store, id);
      const payload = await findBy(store.db, this.model, 'id', id, clock.now());
      // A refresh token dies with the relay session its grant was made under (docs/protocol.md
      // section 9): ended sessions revoke their grants at once, and an expired one is caught here.
      if (payload && this.model === 'RefreshToken') {
        const grantId = typeof payload.grantId === 'string' ? payload.grantId : undefined;
        if (!grantId || !(await store.oidcSessionGrants.liveSession(grantId, clock.now()))) return undefined;
      }
      return payload;
    }
    findByUid(uid: string) {
      return findBy(store.db, this.model, 'uid', uid, clock.now());
    }
    // No column keeps user codes: the device flow is off, so nothing is ever looked up by one.
    findByUserCode() {
      return Promise.resolve(undefined);
    }
    async consume(id: string) {
      await store.db
        .updateTable('oidc_payloads')
        .set({ consumed_at: clock.now() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute();
    }
    async destroy(id: string) {
      await store.db.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).execute();
    }
    async revokeByGrantId(grantId: string) {
      await store.db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    }
  };
}

async function upsert(db: Kysely<Database>, model: string, id: string, payload: AdapterPayload, expiresAt: number | null): Promise<void> {
  const row = {
    payload: JSON.stringify(payload),
    grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
    uid: typeof payload.uid === 'string' ? payload.uid : null,
    account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
    client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
    expires_at: expiresAt,
    consumed_at: null,
  };
  await db
    .insertInto('oidc_payloads')
    .values({ model, id, ...row })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(row))
    .execute();
}

async function findBy(
  db: Kysely<Database>,
  model: string,
  column: 'id' | 'uid',
  value: string,
  now: number,
): Promise<AdapterPayload | undefined> {
  const row = await db
    .selectFrom('oidc_payloads')
    .select(['payload', 'expires_at', 'consumed_at'])
    .where('model', '=', model)
    .where(column, '=', value)
    .executeTakeFirst();
  if (!row || (row.expires_at !== null && Number(row.expires_at) <= now)) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  // The provider refuses a consumed code or token by this field (a code works once).
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
}

/** A registered app as oidc-provider client metadata; the secret is its stored hash (see compareClientSecret). */
async function findClient(store: Store, clientId: string): Promise<AdapterPayload | undefined> {
  const app = await store.apps.byClientId(clientId);
  // An app without redirect URIs only names sign-ins on the relay's own pages (the demo's apps).
  if (!app || app.redirectUris.length === 0) return undefined;
  return {
    client_id: app.clientId,
    client_name: app.name,
    redirect_uris: app.redirectUris,
    // Only where logout may return to: these never receive a code.
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: app.public ? 'none' : 'client_secret_basic',
    ...(app.secretHash ? { client_secret: app.secretHash } : {}),
    ...(app.backchannelLogoutUri ? { backchannel_logout_uri: app.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    // Registration-time fields the provider reads: never HS256 (the secret is only a hash here).
    id_token_signed_response_alg: app.idTokenAlg,
  };
}

/** Deletes expired provider state; run by the relay's expiry sweep. */
export async function sweepExpiredOidcState(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).execute();
}
