import { describe, expect, it } from 'vitest';
import { relayWithDevice, type RelayWithDevice } from '../helpers/test-relay.ts';
import { signInWithApproval } from '../../security/helpers/approved-session.ts';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';

const PASSWORD = 'correct horse battery';
const SITE = 'http://127.0.0.1:9/board';

/** The relay's own host is the rule host when COOKIE_DOMAIN is unset (docs/protocol.md section 10). */
async function approvalRelay(maxAgeSeconds: number) {
  const relay = await relayWithDevice({ password: PASSWORD, groups: ['staff'] });
  const saved = await relay.http('PUT', '/api/v1/admin/forward-auth', {
    admin: true,
    body: { rules: [{ host: '127.0.0.1', groups: ['staff'], policy: 'approval', maxAgeSeconds }] },
  });
  expect(saved.status).toBe(200);
  expect(saved.body).toEqual({ rules: [{ host: '127.0.0.1', groups: ['staff'], policy: 'approval', maxAgeSeconds }] });
  return relay;
}

function check(relay: RelayWithDevice, browser: CookieBrowser, mode = '') {
  const cookie = browser.cookies.get('countersign_forward_auth');
  return fetch(`${relay.origin}/api/v1/forward-auth${mode}`, {
    redirect: 'manual',
    headers: {
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': '127.0.0.1:9',
      'x-forwarded-uri': '/board',
      ...(cookie ? { cookie: `countersign_forward_auth=${cookie}` } : {}),
    },
  });
}

describe('an approval rule', () => {
  it('lets an approved session in until its max age, then asks for a fresh approval (401, or 302 with step_up=1)', async () => {
    const relay = await approvalRelay(300);
    const browser = new CookieBrowser(relay.origin);
    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    const back = await browser.get(`/signin?rd=${encodeURIComponent(SITE)}`);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(SITE);
    expect((await check(relay, browser)).status).toBe(200);

    await relay.advance(300_000);
    const stale = await check(relay, browser);
    expect(stale.status).toBe(401);
    const stepUp = `${relay.origin}/signin?rd=${encodeURIComponent(SITE)}&step_up=1`;
    expect(stale.headers.get('location')).toBe(stepUp);
    const redirect = await check(relay, browser, '?mode=redirect');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(stepUp);

    // Inside the session, the sign-in page asks the same person for an approval instead of sending them back.
    const asks = await browser.get(`/signin?rd=${encodeURIComponent(SITE)}&step_up=1`);
    expect(asks.status).toBe(302);
    const upnFilled = asks.headers.get('location')!;
    expect(new URL(upnFilled, relay.origin).searchParams.get('upn')).toBe(relay.user.upn);
    const page = await browser.get(upnFilled);
    expect(page.status).toBe(200);
    expect(page.headers.getSetCookie().some((header) => header.startsWith('countersign_forward_auth='))).toBe(false);

    // A fresh approval starts a new session; /me sends the person back with a new cookie.
    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    const me = await browser.get('/me');
    expect(me.status).toBe(303);
    expect(me.headers.get('location')).toBe(SITE);
    expect((await check(relay, browser)).status).toBe(200);
  });

  it('is not met by a password sign-in, which has no approval on an authenticator', async () => {
    const relay = await approvalRelay(43_200);
    await relay.setPolicy({ mode: 'any' });
    const browser = new CookieBrowser(relay.origin);
    expect((await browser.signInWithPassword(relay.user.upn, PASSWORD)).status).toBe(303);
    // No approval: the sign-in page keeps rd and asks, rather than sending the person back.
    const page = await browser.get(`/signin?rd=${encodeURIComponent(SITE)}&step_up=1&upn=${encodeURIComponent(relay.user.upn)}`);
    expect(page.status).toBe(200);
    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    expect((await browser.get('/me')).headers.get('location')).toBe(SITE);
    expect((await check(relay, browser)).status).toBe(200);
  });

  it('a session rule lets a password sign-in in; the relay session cookie stays host-only', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, groups: ['staff'] });
    await relay.http('PUT', '/api/v1/admin/forward-auth', { admin: true, body: { rules: [{ host: '127.0.0.1', policy: 'session' }] } });
    const browser = new CookieBrowser(relay.origin);
    const signedIn = await browser.signInWithPassword(relay.user.upn, PASSWORD);
    const sessionCookie = signedIn.headers.getSetCookie().find((header) => header.startsWith('countersign_session='))!;
    expect(sessionCookie).not.toMatch(/domain=/i);
    const back = await browser.get(`/signin?rd=${encodeURIComponent(SITE)}`);
    expect(back.headers.getSetCookie().find((header) => header.startsWith('countersign_forward_auth='))).not.toMatch(/domain=/i);
    expect((await check(relay, browser)).status).toBe(200);
  });
});
