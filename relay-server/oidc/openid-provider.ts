import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { relaySecret } from '../store/relay-secrets.ts';
import type { Store } from '../store/store.ts';
import type { EndedSession } from '../store/sessions-store.ts';
import { AuthRequestCaps, writeAuthRefusal } from './auth-request-caps.ts';
import { BackchannelDelivery } from './backchannel-delivery.ts';
import { INTERACTION_PATH, OIDC_TTL, PROVIDER_PAGE_CSP, createProvider } from './provider-config.ts';
import { loadSigningKeys, rotateSigningKeys, signingKeysVersion } from './signing-keys.ts';

/** A retired key stays published until every ID token it signed has expired (plus a margin). */
const PUBLISH_RETIRED_MS = (OIDC_TTL.IdToken + 300) * 1000;
/** How often an instance looks for a rotation made by another one. */
const KEYS_CHECK_MS = 5_000;

/** Which requests the provider answers (oidc/provider-routes.ts); the relay's own routes answer the rest. */
export function isProviderPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0]!;
  if (path === '/.well-known/openid-configuration') return true;
  return path.startsWith('/oidc/') && !path.startsWith(`${INTERACTION_PATH}/`);
}

/**
 * The relay's OpenID Provider: built once the issuer (the relay origin) is known, and built again
 * when the signing keys change, here or on another instance sharing the database.
 */
export class OpenIdProvider {
  private provider: Provider | undefined;
  private listener: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  private version = '';
  private checkedAt = 0;
  private building: Promise<Provider> | undefined;
  /** Logout tokens on their way to apps (Back-Channel Logout 1.0), shared by every rebuild of the provider. */
  readonly backchannel: BackchannelDelivery;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      logger: Logger;
      issuer: () => string;
      behindProxy: boolean;
      /** The caps on authorization requests (docs/protocol.md section 5), checked before the provider stores anything. */
      authCaps?: AuthRequestCaps;
      /** Retry delays of back-channel logout deliveries (tests make them short). */
      backchannelRetryDelaysMs?: readonly number[];
    },
  ) {
    this.backchannel = new BackchannelDelivery(deps.logger, deps.backchannelRetryDelaysMs);
    // docs/protocol.md section 9: whenever a relay session ends, so do the app grants and refresh
    // tokens made under it, and each app with a back-channel receiver is told.
    deps.store.sessions.onEnded((ended) => this.endAppSessions(ended));
  }

  /** Ends the app sessions of relay sessions that ended; failures are logged, never thrown at the sign-out. */
  private async endAppSessions(ended: EndedSession[]): Promise<void> {
    try {
      const grants = await this.deps.store.oidcSessionGrants.endSessions(ended.map((session) => session.idHash));
      if (grants.length === 0) return;
      const provider = await this.current();
      for (const grant of grants) {
        const client = await provider.Client.find(grant.client_id);
        // Queued with retries by the patched Client (provider-config.ts): never awaits the app.
        const logout = client as unknown as { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> };
        if (logout?.backchannelLogoutUri) await logout.backchannelLogout(grant.user_id, grant.sid);
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'app sessions not ended with the relay session');
    }
  }

  get authCaps(): AuthRequestCaps | undefined {
    return this.deps.authCaps;
  }

  /** The current provider, rebuilt first if the keys changed. */
  async current(): Promise<Provider> {
    const now = this.deps.clock.now();
    if (this.provider && now - this.checkedAt < KEYS_CHECK_MS) return this.provider;
    this.building ??= this.refresh(now).finally(() => (this.building = undefined));
    return this.building;
  }

  /** Node request listener for the provider's paths. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Content-Security-Policy', PROVIDER_PAGE_CSP);
    const caps = this.deps.authCaps;
    const admitted = caps && AuthRequestCaps.applies(req) ? caps.check(req) : Promise.resolve(null);
    admitted.then(
      (refusal) => {
        if (refusal) writeAuthRefusal(res, refusal);
        else this.serve(req, res);
      },
      (error: unknown) => {
        this.deps.logger.error({ err: error }, 'authorization request caps failed');
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
        res.end('Sign-in for apps is unavailable. Try again shortly.');
      },
    );
  };

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.current().then(
      () => void this.listener!(req, res),
      (error: unknown) => {
        this.deps.logger.error({ err: error }, 'openid provider unavailable');
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
        res.end(
          JSON.stringify({ error: 'temporarily_unavailable', error_description: 'Sign-in for apps is unavailable. Try again shortly.' }),
        );
      },
    );
  }

  /** Admin action: new signing keys now; the old ones stay published until their tokens expire. */
  async rotateKeys(): Promise<void> {
    await rotateSigningKeys(this.deps.store, this.deps.clock.now(), PUBLISH_RETIRED_MS);
    this.checkedAt = 0;
    await this.current();
  }

  private async refresh(now: number): Promise<Provider> {
    const version = await signingKeysVersion(this.deps.store);
    this.checkedAt = now;
    if (this.provider && version === this.version) return this.provider;
    const keys = await loadSigningKeys(this.deps.store, now, PUBLISH_RETIRED_MS);
    const cookieKey = (await relaySecret(this.deps.store.db, 'oidc-cookie-key')).toString('base64url');
    this.provider = createProvider({
      issuer: this.deps.issuer(),
      store: this.deps.store,
      clock: this.deps.clock,
      logger: this.deps.logger,
      jwks: { keys },
      cookieKeys: [cookieKey],
      behindProxy: this.deps.behindProxy,
      backchannel: this.backchannel,
    });
    this.listener = this.provider.callback();
    // Keys made on first start change the version: read it again so the next check is quiet.
    this.version = await signingKeysVersion(this.deps.store);
    return this.provider;
  }
}
