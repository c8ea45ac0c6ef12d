import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { matchesDigest } from '../security/secrets.ts';
import { sessionCookieName } from '../session/browser-session.ts';
import type { Store } from '../store/store.ts';
import type { BackchannelDelivery } from './backchannel-delivery.ts';
import { storeAdapter } from './store-adapter.ts';
import { errorPageHtml, logoutPageHtml, signedOutPageHtml } from './provider-pages.tsx';

/** Where the provider's endpoints live; `/oidc/interaction/…` belongs to the relay's own pages. */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  jwks: '/oidc/jwks',
  end_session: '/oidc/session/end',
  revocation: '/oidc/token/revocation',
} as const;
export const INTERACTION_PATH = '/oidc/interaction';
/** An interaction's uid as it appears in its path (oidc-provider's ids are 43 base64url characters). */
export const isInteractionUid = (uid: string): boolean => /^[A-Za-z0-9_-]{10,64}$/.test(uid);

/**
 * The page policy (http/security-headers.ts) without `form-action 'self'`: the provider's forms
 * (consent, logout, form_post) end in a redirect or post to the app's own origin. oidc-provider
 * adds the hash of its one inline form_post script to script-src itself.
 */
export const PROVIDER_PAGE_CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'";

/** Token lifetimes (seconds). An ID token's key stays published this long after it is retired. */
export const OIDC_TTL = {
  AccessToken: 600,
  AuthorizationCode: 60,
  // Rotated on every use, and dead with the relay session sooner (store-adapter.ts, openid-provider.ts).
  RefreshToken: 14 * 24 * 3600,
  IdToken: 3600,
  Interaction: 600,
  Session: 8 * 3600,
  Grant: 365 * 24 * 3600,
};

export interface ProviderInputs {
  issuer: string;
  store: Store;
  clock: Clock;
  logger: Logger;
  jwks: Configuration['jwks'];
  cookieKeys: string[];
  /** Behind TRUST_PROXY, Koa reads the forwarded protocol and host. */
  behindProxy: boolean;
  /** Sends Back-Channel Logout tokens in the background, with retries. */
  backchannel: BackchannelDelivery;
}

/** The scopes apps may ask for, and the claims each one gives (docs/protocol.md section 9). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'] as const;
const CLAIMS = {
  // amr and auth_time come from the sign-in itself; sid names the app's session for logout.
  openid: ['sub', 'amr', 'auth_time', 'sid'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};
/** What a first-party grant (or a consent) allows: every scope; the app's request picks among them. */
export const GRANTED_SCOPE = OIDC_SCOPES.join(' ');

/**
 * The OpenID Provider (docs/protocol.md section 9) on oidc-provider: authorization code flow with
 * PKCE (S256, required for public clients), client_secret_basic/post, RS256 or ES256 ID tokens
 * (the app's idTokenAlg), userinfo, rotating refresh tokens with offline_access, RP-initiated and
 * Back-Channel Logout; no dynamic registration, no pushed authorization requests. People sign in
 * on the relay's own pages (`/oidc/interaction/{uid}`), so the provider never renders a login form.
 */
export function createProvider(inputs: ProviderInputs): Provider {
  const { store } = inputs;
  // The issuer is the relay's public origin: `__Host-countersign_session` on https.
  const sessionCookie = sessionCookieName(inputs.issuer);
  const configuration: Configuration = {
    adapter: storeAdapter(store, inputs.clock),
    jwks: inputs.jwks,
    cookies: { keys: inputs.cookieKeys, long: { signed: true }, short: { signed: true } },
    routes: OIDC_ROUTES,
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    pkce: { required: (_ctx, client) => client.tokenEndpointAuthMethod === 'none' },
    scopes: [...OIDC_SCOPES],
    claims: CLAIMS,
    // The ID token itself carries the claims apps read (preferred_username, name, email, groups).
    conformIdTokenClaims: false,
    // offline_access gives a refresh token (the default issueRefreshToken); each use rotates it, and
    // the provider revokes the whole grant when a used one comes back.
    rotateRefreshToken: true,
    ttl: OIDC_TTL,
    // The provider fetches only the back-channel logout URIs an administrator registered, and apps
    // of a self-hosted relay often live on the local network: its guard against private and
    // loopback addresses (meant for URIs from dynamic registration, which is off) would refuse them.
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: false },
      // Discovery names only what works: no PAR endpoint.
      pushedAuthorizationRequests: { enabled: false },
      // Nor sender-constrained tokens: no app here proves possession, and discovery would list DPoP's algorithms.
      dPoP: { enabled: false },
      userinfo: { enabled: true },
      // An app may revoke only its own tokens.
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = await logoutPageHtml(ctx.oidc.client?.clientName, form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = await signedOutPageHtml(ctx.oidc.client?.clientName);
        },
      },
    },
    findAccount: async (_ctx, sub) => {
      const user = await store.users.byId(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          preferred_username: user.upn,
          name: user.display_name,
          ...(user.email ? { email: user.email, email_verified: true } : {}),
          groups: await store.users.groupsOf(sub),
        }),
      };
    },
    loadExistingGrant: (ctx) => existingOrFirstPartyGrant(ctx, store, inputs.clock, sessionCookie),
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: policyTiedToRelaySession(store, inputs.clock, sessionCookie),
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = await errorPageHtml(out.error, out.error_description);
    },
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
  };
  const provider = new Provider(inputs.issuer, configuration);
  provider.proxy = inputs.behindProxy;
  // Apps' secrets are stored as SHA-256 digests (stores/apps-store.ts): compare the digest, in constant time.
  // No option does this; the library's author points to this method, and a test pins that it is still
  // called (tests/integration/oidc/client-secret-digest.test.ts).
  provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    return Promise.resolve(typeof this.clientSecret === 'string' && matchesDigest(actual, this.clientSecret));
  };
  // Signing out of an app through the provider signs out of Countersign too, or the next request
  // would sign the browser straight back in on the relay session.
  // Every ID token names its app session (sid), not only those of apps with a back-channel receiver.
  provider.Client.prototype.includeSid = () => true;
  // Logout tokens go out in the background with retries (backchannel-delivery.ts); a sign-out never waits.
  type LogoutSender = (this: { clientId: string }, sub: string, sid: string) => Promise<void>;
  const prototype = provider.Client.prototype as unknown as { backchannelLogout: LogoutSender };
  const sendLogoutToken = prototype.backchannelLogout;
  prototype.backchannelLogout = function (sub, sid) {
    inputs.backchannel.send(this.clientId, sid, () => sendLogoutToken.call(this, sub, sid));
    return Promise.resolve();
  };
  provider.use(offlineAccessWithoutConsentPrompt);
  provider.on('end_session.success', (ctx) => {
    const cookie = ctx.cookies.get(sessionCookie);
    if (!cookie) return;
    // Secure follows the request (the `cookies` library refuses Secure on plain http); the session
    // row goes below either way, so a cookie a browser keeps names nothing.
    ctx.cookies.set(sessionCookie, null, { path: '/' });
    store.sessions.remove(cookie).catch((error: unknown) => inputs.logger.warn({ err: error }, 'relay session not removed at logout'));
  });
  provider.on('server_error', (_ctx, error) => inputs.logger.error({ err: error }, 'openid provider error'));
  return provider;
}

/**
 * The provider's own session must not outlive the relay's, nor belong to someone else: a person
 * who signed out of Countersign, or signed in as another user, is asked again. This extra login
 * check asks unless the relay session cookie names a live session of the provider session's
 * account; the interaction page then checks freshness and finishes at once when it can.
 */
function policyTiedToRelaySession(store: Store, clock: Clock, sessionCookie: string) {
  const policy = interactionPolicy.base();
  // prompt=select_account: the interaction page asks whether to continue as the signed-in person.
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);
  // A consent screen shows only for apps marked as needing one, whatever prompt says (and
  // offlineAccessWithoutConsentPrompt adds prompt=consent to keep offline_access).
  policy.get('consent')?.checks.remove('consent_prompt');
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('relay_session', 'the Countersign session ended or changed', 'login_required', async (ctx) => {
      const cookie = ctx.cookies.get(sessionCookie);
      const session = cookie ? await store.sessions.find(cookie, clock.now()) : undefined;
      const same = session !== undefined && session.user_id === ctx.oidc.session?.accountId;
      return same ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/**
 * First-party apps need no consent screen: their grant is made here. An app marked as needing
 * consent gets one only once the person said yes (app_consents); until then the consent prompt
 * runs and the interaction page asks.
 */
async function existingOrFirstPartyGrant(ctx: KoaContextWithOIDC, store: Store, clock: Clock, sessionCookie: string) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const accountId = oidc.session!.accountId!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  const app = await store.apps.byClientId(client.clientId);
  const allowed = app !== undefined && (!app.needsConsent || (await store.apps.hasConsent(accountId, app.clientId)));
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (grant && grant.accountId !== accountId) grant = undefined;
  if (!grant && !allowed) return undefined;
  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId });
  // Grants made before a scope existed get it (an allowed app is allowed every scope).
  if (allowed && grant.getOIDCScope() !== GRANTED_SCOPE) grant.addOIDCScope(GRANTED_SCOPE);
  const savedId = await grant.save();
  await rememberRelaySession(ctx, store, clock, sessionCookie, savedId);
  return grant;
}

/**
 * Notes the relay session this app's grant is used under, with the app session's sid: the grant,
 * its refresh tokens and the app's session end with it (oidc/openid-provider.ts).
 */
async function rememberRelaySession(
  ctx: KoaContextWithOIDC,
  store: Store,
  clock: Clock,
  sessionCookie: string,
  grantId: string,
): Promise<void> {
  const { oidc } = ctx;
  const cookie = ctx.cookies.get(sessionCookie);
  const session = cookie ? await store.sessions.find(cookie, clock.now()) : undefined;
  if (!session || session.user_id !== oidc.session!.accountId) return;
  const clientId = oidc.client!.clientId;
  oidc.session!.ensureClientContainer(clientId);
  await store.oidcSessionGrants.record({
    grant_id: grantId,
    session_hash: session.id_hash,
    user_id: session.user_id,
    client_id: clientId,
    sid: oidc.session!.sidFor(clientId)!,
    created_at: clock.now(),
  });
}

/**
 * oidc-provider keeps offline_access only when the request also says prompt=consent (OpenID
 * Core's advice for a consent screen). Here a refresh token needs no screen of its own (section 9):
 * a GET authorization request asking for offline_access is read as if it said so, and
 * prompt=consent forces no screen (policyTiedToRelaySession). prompt=none stays alone, as it must.
 */
async function offlineAccessWithoutConsentPrompt(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  if (ctx.method === 'GET' && ctx.path === OIDC_ROUTES.authorization) {
    const { scope, prompt } = ctx.query;
    const prompts = typeof prompt === 'string' ? prompt.split(' ').filter(Boolean) : [];
    if (
      typeof scope === 'string' &&
      scope.split(' ').includes('offline_access') &&
      !prompts.includes('none') &&
      !prompts.includes('consent')
    ) {
      ctx.query = { ...ctx.query, prompt: [...prompts, 'consent'].join(' ') };
    }
  }
  await next();
}
