import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { matchesDigest } from '../security/secrets.ts';
import { SESSION_COOKIE } from '../session/browser-session.ts';
import type { Store } from '../store/store.ts';
import { kyselyAdapter } from './kysely-adapter.ts';
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
}

/**
 * The OpenID Provider (docs/protocol.md section 9) on oidc-provider: authorization code flow with
 * PKCE (S256, required for public clients), client_secret_basic/post, RS256 or ES256 ID tokens,
 * userinfo, RP-initiated logout; no dynamic registration, no refresh tokens. People sign in on
 * the relay's own pages (`/oidc/interaction/{uid}`), so the provider never renders a login form.
 */
export function createProvider(inputs: ProviderInputs): Provider {
  const { store } = inputs;
  const configuration: Configuration = {
    adapter: kyselyAdapter(store, inputs.clock),
    jwks: inputs.jwks,
    cookies: { keys: inputs.cookieKeys, long: { signed: true }, short: { signed: true } },
    routes: OIDC_ROUTES,
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    pkce: { required: (_ctx, client) => client.tokenEndpointAuthMethod === 'none' },
    scopes: ['openid', 'profile'],
    // amr and auth_time come from the sign-in itself; listing them under openid puts them in every ID token.
    claims: { openid: ['sub', 'amr', 'auth_time'], profile: ['name', 'preferred_username'] },
    // The ID token itself carries the profile claims apps read (preferred_username, name).
    conformIdTokenClaims: false,
    issueRefreshToken: () => false,
    ttl: OIDC_TTL,
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
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
      return { accountId: sub, claims: () => ({ sub, preferred_username: user.upn, name: user.display_name }) };
    },
    loadExistingGrant: (ctx) => existingOrFirstPartyGrant(ctx, store),
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: policyTiedToRelaySession(store, inputs.clock),
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
  provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    return Promise.resolve(typeof this.clientSecret === 'string' && matchesDigest(actual, this.clientSecret));
  };
  // Signing out of an app through the provider signs out of Countersign too, or the next request
  // would sign the browser straight back in on the relay session.
  provider.on('end_session.success', (ctx) => {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (!cookie) return;
    ctx.cookies.set(SESSION_COOKIE, null, { path: '/' });
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
function policyTiedToRelaySession(store: Store, clock: Clock) {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('relay_session', 'the Countersign session ended or changed', 'login_required', async (ctx) => {
      const cookie = ctx.cookies.get(SESSION_COOKIE);
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
async function existingOrFirstPartyGrant(ctx: KoaContextWithOIDC, store: Store) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const accountId = oidc.session!.accountId!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  if (grantId) {
    const grant = await oidc.provider.Grant.find(grantId);
    if (grant && grant.accountId === accountId) return grant;
  }
  const app = await store.apps.byClientId(client.clientId);
  if (!app || (app.needsConsent && !(await store.apps.hasConsent(accountId, app.clientId)))) return undefined;
  const grant = new oidc.provider.Grant({ clientId: client.clientId, accountId });
  grant.addOIDCScope('openid profile');
  await grant.save();
  return grant;
}
