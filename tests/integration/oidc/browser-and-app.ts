import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';
import type { TestRelay } from '../helpers/test-relay.ts';

/**
 * The two sides of an OpenID Connect sign-in for tests: a relying party built on openid-client
 * (what a real app uses) and a person whose browser (testing/cookie-browser.ts) follows redirects
 * one at a time, so a test can stop where a person would act (the relay's sign-in page).
 */
export interface TestApp {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}

export interface StartedSignin {
  config: oidc.Configuration;
  clientId: string;
  authorizationUrl: URL;
  codeVerifier: string;
  nonce: string;
  state: string;
}

export async function relyingParty(issuer: string, app: TestApp, auth: 'basic' | 'post' | 'none' = 'basic'): Promise<oidc.Configuration> {
  const clientAuth =
    auth === 'none' ? oidc.None() : auth === 'post' ? oidc.ClientSecretPost(app.clientSecret) : oidc.ClientSecretBasic(app.clientSecret);
  return oidc.discovery(new URL(issuer), app.clientId, undefined, clientAuth, { execute: [oidc.allowInsecureRequests] });
}

export async function startAuthorization(
  config: oidc.Configuration,
  app: TestApp,
  extra: Record<string, string> = {},
): Promise<StartedSignin> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extra,
  });
  return { config, clientId: app.clientId, authorizationUrl, codeVerifier, nonce, state };
}

/** The app's side of the callback: the code exchanged with the checks openid-client makes (state, nonce, PKCE). */
export function redeemCode(config: oidc.Configuration, callback: URL, started: Pick<StartedSignin, 'codeVerifier' | 'nonce' | 'state'>) {
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: started.codeVerifier,
    expectedNonce: started.nonce,
    expectedState: started.state,
  });
}

export const REDIRECT = 'http://127.0.0.1:9/callback';

export async function registerApp(relay: TestRelay, body: Record<string, unknown> = {}): Promise<TestApp> {
  const answer = await relay.http('POST', '/api/v1/admin/apps', {
    admin: true,
    body: { name: 'Expense Reports', redirectUris: [REDIRECT], ...body },
  });
  expect(answer.status).toBe(201);
  return {
    clientId: answer.body.clientId,
    ...(answer.body.clientSecret ? { clientSecret: answer.body.clientSecret } : {}),
    redirectUri: REDIRECT,
  };
}

export type Person = Awaited<ReturnType<typeof personWithDevice>>;

/** A person with an authenticator who signs in on the relay when the app sends them there. */
export async function personWithDevice(relay: TestRelay) {
  const user = await relay.createUser({ displayName: 'Alice Example' });
  const { device } = await relay.pairDevice(user.upn);
  const browser = new CookieBrowser(relay.origin);
  /** Signs in on the relay's pages' API (in `into`, this person's browser unless given), naming `app` as the sign-in page does; returns what the device saw. */
  const signInOnRelay = async (app = 'demo', into: CookieBrowser = browser) => {
    const signin = await relay.signin.createSignin({ upn: user.upn, app });
    const challenge = await device.waitForChallenge((c) => c.requestId === signin.requestId);
    await device.approve(challenge.requestId, signin.number);
    const completed = await relay.signin.complete(signin);
    const [pair = ''] = (completed.cookie ?? '').split(';');
    const at = pair.indexOf('=');
    into.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    return challenge;
  };
  return { user, device, browser, signInOnRelay };
}

/** Where the sign-in page at `signinUrl` returns after a sign-in: the app's waiting interaction. */
export function waitingApp(signinUrl: URL): string {
  const uid = signinUrl.searchParams.get('interaction');
  expect(uid).toMatch(/^[\w-]+$/);
  return `/oidc/interaction/${uid}`;
}

/** App → relay → (sign in on the relay) → back at the app's callback with a code. */
export async function signInThroughApp(relay: TestRelay, person: Person, started: { authorizationUrl: URL; clientId: string }) {
  const first = await person.browser.follow(started.authorizationUrl, relay.origin);
  if (first.url.origin !== relay.origin) return first.url;
  expect(first.url.pathname).toBe('/signin');
  expect(first.url.searchParams.get('app')).toBe(started.clientId);
  expect(first.url.searchParams.get('interaction')).toMatch(/^[\w-]+$/);
  await person.signInOnRelay(started.clientId);
  // The sign-in page goes back to the interaction it was started for (its uid travels with it).
  const callback = await person.browser.follow(waitingApp(first.url), relay.origin);
  expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
  return callback.url;
}
