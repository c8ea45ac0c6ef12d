import { describe, expect, it } from 'vitest';
import { startForwardAuthRelay, type ForwardAuthRelay } from '../forward-auth/forward-auth-relay.ts';

/**
 * docs/protocol.md section 10 on the OpenID Provider's side: on an https relay (behind a proxy, with
 * COOKIE_DOMAIN for forward auth) the provider reads and clears only `__Host-countersign_session`.
 */
const PREFIXED = '__Host-countersign_session';
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'signin.example.test' };

async function httpsRelay(): Promise<ForwardAuthRelay> {
  return startForwardAuthRelay({ RELAY_ORIGIN: 'https://signin.example.test', TRUST_PROXY: '1' });
}

/** RP-initiated logout as a browser does it: the end_session page, then its auto-submitted form. */
async function signOutThroughProvider(relay: ForwardAuthRelay, cookie: string): Promise<Response> {
  const page = await fetch(`${relay.address}/oidc/session/end`, { headers: { ...PROXIED, cookie }, redirect: 'manual' });
  expect(page.status).toBe(200);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(xsrf).toBeTruthy();
  const providerCookies = page.headers.getSetCookie().map((header) => header.split(';')[0]!);
  return fetch(`${relay.address}/oidc/session/end/confirm`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      ...PROXIED,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [cookie, ...providerCookies].join('; '),
    },
    body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
  });
}

const liveSession = (relay: ForwardAuthRelay, value: string) => relay.running.relay.store.sessions.find(value, relay.clock.now());

describe('the OpenID Provider and the __Host- session cookie', () => {
  it('signing out through the provider ends the relay session and clears __Host-countersign_session with Secure, no Domain', async () => {
    const relay = await httpsRelay();
    const { session } = await relay.signedInUser({ upn: 'alice@example.test' });
    const response = await signOutThroughProvider(relay, `${PREFIXED}=${session}`);
    expect(response.status).toBeLessThan(400);
    const cleared = response.headers.getSetCookie().find((header) => header.startsWith(`${PREFIXED}=`))!;
    expect(cleared).toBeDefined();
    expect(cleared).toMatch(/expires=Thu, 01 Jan 1970/i);
    expect(cleared).toMatch(/; secure(;|$)/i);
    expect(cleared).toMatch(/; path=\/(;|$)/i);
    expect(cleared).not.toMatch(/domain=/i);
    await expect.poll(() => liveSession(relay, session)).toBeUndefined();
  });

  it('an unprefixed countersign_session on https names nothing: the provider neither ends nor clears it', async () => {
    const relay = await httpsRelay();
    const { session } = await relay.signedInUser({ upn: 'bob@example.test' });
    const response = await signOutThroughProvider(relay, `countersign_session=${session}`);
    expect(response.status).toBeLessThan(400);
    expect(response.headers.getSetCookie().some((header) => /countersign_session=/.test(header))).toBe(false);
    // The provider removes sessions in the background: once a later sign-out's removal shows, Bob's would have too.
    const { session: other } = await relay.signedInUser({ upn: 'carol@example.test' });
    await signOutThroughProvider(relay, `${PREFIXED}=${other}`);
    await expect.poll(() => liveSession(relay, other)).toBeUndefined();
    expect(await liveSession(relay, session)).toBeDefined();
  });
});
