import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { RealTimeClock, startTestRelay, type TestRelay } from '../helpers/test-relay.ts';
import {
  personWithDevice,
  redeemCode,
  REDIRECT,
  registerApp,
  relyingParty,
  signInThroughApp,
  startAuthorization,
  type Person,
  type TestApp,
} from './browser-and-app.ts';

type Discovery = Record<string, unknown> & {
  scopes_supported: string[];
  claims_supported: string[];
  grant_types_supported: string[];
  response_types_supported: string[];
  response_modes_supported: string[];
  id_token_signing_alg_values_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  code_challenge_methods_supported: string[];
};

/** Every address discovery names, and what answering it means (docs/protocol.md section 9: each one works). */
const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'end_session_endpoint',
  'revocation_endpoint',
] as const;

async function discovery(relay: TestRelay): Promise<Discovery> {
  const answer = await relay.http('GET', '/.well-known/openid-configuration');
  expect(answer.status).toBe(200);
  return answer.body as Discovery;
}

/** A person with an email and groups, signed in to Countersign once (the next authorizations go straight back). */
async function personWithClaims(relay: TestRelay): Promise<Person> {
  const person = await personWithDevice(relay);
  const patched = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}`, {
    admin: true,
    body: { email: 'alice@example.com', groups: ['staff', 'payroll-admins'] },
  });
  expect(patched.status).toBe(200);
  return person;
}

/** The app's callback for a sign-in answered in `mode` (the browser already signed in to Countersign). */
async function codeIn(mode: string, person: Person, relay: TestRelay, authorizationUrl: URL): Promise<URL> {
  const answer = await person.browser.follow(authorizationUrl, relay.origin);
  if (mode === 'form_post') {
    // An auto-submitting form to the app's redirect URI, its fields hidden inputs.
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`action="${REDIRECT}"`);
    const fields = [...answer.text.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)];
    const callback = new URL(REDIRECT);
    for (const [, name, value] of fields) callback.searchParams.set(name!, value!);
    return callback;
  }
  expect(answer.url.origin).toBe(new URL(REDIRECT).origin);
  if (mode === 'fragment') {
    expect(answer.url.search).toBe('');
    return new URL(`${REDIRECT}?${answer.url.hash.slice(1)}`);
  }
  return answer.url;
}

describe('discovery advertises only what works (docs/protocol.md section 9)', () => {
  it('names no endpoint that does not answer, and every endpoint it names answers as it should', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const doc = await discovery(relay);
    const named = Object.keys(doc).filter((key) => key.endsWith('_endpoint') || key.endsWith('_uri'));
    expect(named.sort()).toEqual([...ENDPOINTS].sort());
    expect(doc.pushed_authorization_request_endpoint).toBeUndefined();
    expect(doc.dpop_signing_alg_values_supported).toBeUndefined();

    const app = await registerApp(relay);
    const person = await personWithClaims(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    // authorization_endpoint: a good request goes on to sign in (not a 404 or an error page).
    const toSignIn = await person.browser.load(started.authorizationUrl);
    expect(toSignIn.status).toBe(303);
    expect(toSignIn.location).toMatch(/^\/oidc\/interaction\//);
    const callback = await signInThroughApp(relay, person, started);
    const tokens = await redeemCode(config, callback, started);

    const at = (key: (typeof ENDPOINTS)[number]) => String(doc[key]);
    // token_endpoint: a malformed request is refused as OAuth says, not unknown.
    const token = await fetch(at('token_endpoint'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toBe('invalid_request');
    // userinfo_endpoint: with the access token, the person; without one, 401.
    const userinfo = await fetch(at('userinfo_endpoint'), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
    expect((await fetch(at('userinfo_endpoint'))).status).toBe(401);
    // jwks_uri: the public keys, never a private part.
    const jwks = (await (await fetch(at('jwks_uri'))).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
    // end_session_endpoint: the "Sign out?" page.
    const endSession = await person.browser.load(at('end_session_endpoint'));
    expect(endSession.status).toBe(200);
    // revocation_endpoint: the app revokes its access token.
    const revoked = await fetch(at('revocation_endpoint'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(revoked.status).toBe(200);
    expect((await fetch(at('userinfo_endpoint'), { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('every scope it lists can be asked for, and every claim it lists is issued', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const doc = await discovery(relay);
    expect(doc.scopes_supported.sort()).toEqual(['email', 'groups', 'offline_access', 'openid', 'profile']);
    const app = await registerApp(relay);
    const person = await personWithClaims(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app, { scope: doc.scopes_supported.join(' ') });
    const tokens = await redeemCode(config, await signInThroughApp(relay, person, started), started);
    expect(tokens.scope?.split(' ').sort()).toEqual([...doc.scopes_supported].sort());
    expect(tokens.refresh_token).toEqual(expect.any(String)); // offline_access
    const idToken = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    for (const claim of doc.claims_supported) {
      expect(idToken[claim] ?? userinfo[claim], claim).toBeDefined();
    }
    expect(idToken).toMatchObject({
      sub: person.user.userId,
      name: 'Alice Example',
      preferred_username: person.user.upn,
      email: 'alice@example.com',
      email_verified: true,
      groups: ['payroll-admins', 'staff'],
      sid: expect.any(String),
    });
    expect(userinfo).toMatchObject({ email: 'alice@example.com', groups: ['payroll-admins', 'staff'] });

    // Each scope alone gives its claims and no others'.
    const onlyOpenid = await startAuthorization(config, app, { scope: 'openid' });
    const bare = await redeemCode(config, await codeIn('query', person, relay, onlyOpenid.authorizationUrl), onlyOpenid);
    expect(Object.keys(bare.claims()!)).not.toEqual(expect.arrayContaining(['email']));
    expect(bare.claims()).toMatchObject({ sub: person.user.userId, sid: expect.any(String), amr: ['swk', 'pin', 'mfa'] });
    expect(bare.claims()!.groups).toBeUndefined();
    expect(bare.claims()!.name).toBeUndefined();
    expect(bare.refresh_token).toBeUndefined();
    // An unknown scope is dropped, never granted.
    const unknown = await startAuthorization(config, app, { scope: 'openid admin' });
    const ignored = await redeemCode(config, await codeIn('query', person, relay, unknown.authorizationUrl), unknown);
    expect(ignored.scope).toBe('openid');
  });

  it('a user without an email gets no email claim (nor an empty one)', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app, { scope: 'openid email groups' });
    const tokens = await redeemCode(config, await signInThroughApp(relay, person, started), started);
    expect(tokens.claims()!.email).toBeUndefined();
    expect(tokens.claims()!.email_verified).toBeUndefined();
    expect(tokens.claims()!.groups).toEqual([]);
  });

  it('every grant type, response mode, client authentication method and ID token algorithm it lists works', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const doc = await discovery(relay);
    const person = await personWithClaims(relay);
    expect(doc.response_types_supported).toEqual(['code']);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.grant_types_supported.sort()).toEqual(['authorization_code', 'refresh_token']);

    // ID token algorithms: an app registered for each gets ID tokens signed with it, verifiable at jwks_uri.
    const jwks = createRemoteJWKSet(new URL(String(doc.jwks_uri)));
    let first = true;
    for (const alg of doc.id_token_signing_alg_values_supported) {
      const app = await registerApp(relay, { name: `App ${alg}`, idTokenAlg: alg });
      const config = await relyingParty(relay.origin, app);
      const started = await startAuthorization(config, app, { scope: 'openid offline_access' });
      const callback = first
        ? await signInThroughApp(relay, person, started)
        : await codeIn('query', person, relay, started.authorizationUrl);
      first = false;
      const tokens = await redeemCode(config, callback, started);
      expect(decodeProtectedHeader(tokens.id_token!).alg, alg).toBe(alg);
      await jwtVerify(tokens.id_token!, jwks, { issuer: relay.origin, audience: app.clientId, algorithms: [alg] });
      // The refresh_token grant, with the ID token it returns signed the same way.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(decodeProtectedHeader(refreshed.id_token!).alg, alg).toBe(alg);
    }

    // Response modes: the code arrives each way.
    const app = await registerApp(relay, { name: 'Modes' });
    const config = await relyingParty(relay.origin, app);
    for (const mode of doc.response_modes_supported) {
      const started = await startAuthorization(config, app, { response_mode: mode });
      const tokens = await redeemCode(config, await codeIn(mode, person, relay, started.authorizationUrl), started);
      expect(tokens.claims()!.sub, mode).toBe(person.user.userId);
    }

    // Client authentication: basic and post for a confidential app, none for a public one.
    const publicApp = await registerApp(relay, { name: 'Browser App', public: true });
    const methods: Record<string, [TestApp, 'basic' | 'post' | 'none']> = {
      client_secret_basic: [app, 'basic'],
      client_secret_post: [app, 'post'],
      none: [publicApp, 'none'],
    };
    for (const method of doc.token_endpoint_auth_methods_supported) {
      const [which, auth] = methods[method]!;
      const methodConfig = await relyingParty(relay.origin, which, auth);
      const started = await startAuthorization(methodConfig, which);
      const tokens = await redeemCode(methodConfig, await codeIn('query', person, relay, started.authorizationUrl), started);
      expect(tokens.claims()!.aud, method).toBe(which.clientId);
    }
  });
});
