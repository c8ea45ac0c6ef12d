import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

/**
 * The OpenID Provider's storage (oidc-provider's adapter interface) on the relay's store
 * (store/oidc-payloads-store.ts), so every instance on one SQLite or PostgreSQL database shares
 * sessions, grants, codes and interactions. Clients are not stored here: `Client` reads the
 * registered apps.
 */
export function storeAdapter(store: Store, clock: Clock): new (model: string) => Adapter {
  return class {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      return store.oidcPayloads.upsert(this.model, id, payload, expiresIn > 0 ? clock.now() + expiresIn * 1000 : null);
    }
    async find(id: string) {
      if (this.model === 'Client') return findClient(store, id);
      const payload = await store.oidcPayloads.findBy(this.model, 'id', id, clock.now());
      // A refresh token dies with the relay session its grant was made under (docs/protocol.md
      // section 9): ended sessions revoke their grants at once, and an expired one is caught here.
      if (payload && this.model === 'RefreshToken') {
        const grantId = typeof payload.grantId === 'string' ? payload.grantId : undefined;
        if (!grantId || !(await store.oidcSessionGrants.liveSession(grantId, clock.now()))) return undefined;
      }
      return payload;
    }
    findByUid(uid: string) {
      return store.oidcPayloads.findBy(this.model, 'uid', uid, clock.now()) as Promise<AdapterPayload | undefined>;
    }
    // No column keeps user codes: the device flow is off, so nothing is ever looked up by one.
    findByUserCode() {
      return Promise.resolve(undefined);
    }
    consume(id: string) {
      return store.oidcPayloads.consume(this.model, id, clock.now());
    }
    destroy(id: string) {
      return store.oidcPayloads.destroy(this.model, id);
    }
    revokeByGrantId(grantId: string) {
      return store.oidcPayloads.revokeByGrantId(grantId);
    }
  };
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
