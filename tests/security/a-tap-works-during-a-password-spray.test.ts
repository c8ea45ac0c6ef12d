import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';
import { WHAT_WORKS, sameBrowserAt } from './helpers/familiar-browser.ts';

const PASSWORD = 'the-right-password-1';

/**
 * Issue 18: 110 wrong passwords from 11 addresses made the right password and a fresh Temporary
 * Access Pass 429 from a new browser ("this device or network"). Now the per-user backstop counts
 * unfamiliar clients only, a live TAP is accepted whatever the throttles say, and the user's
 * familiar browser is never refused for what strangers did.
 */
describe('a password spray from many addresses', () => {
  it('a TAP works during a password spray from 11 addresses, and so does the familiar browser', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, password: PASSWORD, policy: { mode: 'any' } });
    const upn = relay.user.upn;
    // The user's own browser, signed in with the password page before (it got the cookie there).
    const home = new ClientAt(relay.origin, '203.0.113.10');
    expect((await home.passwordPage(upn, PASSWORD)).status).toBe(303);
    expect(home.cookies.has('countersign_familiar')).toBe(true);

    const answers = await sprayFrom11Addresses(relay.origin, upn);
    for (const status of answers.flat()) expect([401, 429]).toContain(status);
    // A new browser with the right password: refused, in words that say what works.
    const newBrowser = new ClientAt(relay.origin, '192.0.2.77');
    const refused = await newBrowser.startSignin({ upn, password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(WHAT_WORKS);
    expect(refused.body.error.message).not.toMatch(/device or network/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // The administrator's TAP gets the user in from that same new browser.
    const tap = await relay.admin.issueTap(upn, { lifetimeMinutes: 60, oneTime: true });
    const signedIn = await newBrowser.passwordPage(upn, tap.code);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toMatch(/security-info/);

    // The familiar browser's password is checked as ever, from home or on the train.
    for (const browser of [new ClientAt(relay.origin, '203.0.113.10'), sameBrowserAt(home, '192.0.2.99')]) {
      for (const [name, value] of home.cookies) browser.cookies.set(name, value);
      expect((await browser.passwordPage(upn, PASSWORD)).status).toBe(303);
    }
  }, 90_000);

  it('a TAP works over the API during a password spray from 11 addresses', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, password: PASSWORD, policy: { mode: 'any' } });
    const upn = relay.user.upn;
    const answers = await sprayFrom11Addresses(relay.origin, upn);
    for (const status of answers.flat()) expect([401, 429]).toContain(status);
    const newBrowser = new ClientAt(relay.origin, '192.0.2.78');
    expect((await newBrowser.startSignin({ upn, password: PASSWORD })).status).toBe(429);

    // A wrong TAP-like secret is a wrong password: still refused, nothing made.
    const wrong = await newBrowser.startSignin({ upn, password: 'X'.repeat(32) });
    expect(wrong.status).toBe(429);

    const tap = await relay.admin.issueTap(upn, { lifetimeMinutes: 60, oneTime: true });
    const created = await newBrowser.startSignin({ upn, password: tap.code });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toMatch(/no-store/);
    expect(await newBrowser.status(created.body)).toBe('approved');
    const completed = await fetch(`${relay.origin}/api/v1/signins/${created.body.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body.browserToken}`, 'x-forwarded-for': newBrowser.ip },
    });
    expect(completed.status).toBe(200);
    expect((await completed.json()).session).toMatchObject({ upn, amr: ['otp'] });
    // Once: the one-time pass is spent, and the request turns into one session only.
    expect((await newBrowser.startSignin({ upn, password: tap.code })).status).toBe(429);
    expect(await newBrowser.complete(created.body)).toBe(409);
    // The sign-in log shows it as a TAP sign-in, asked of no device.
    const log = await relay.http('GET', `/api/v1/admin/signins?upn=${encodeURIComponent(upn)}&limit=500`, { admin: true });
    expect(log.body.signins.find((row: { requestId: string }) => row.requestId === created.body.requestId)).toMatchObject({
      method: 'tap',
      status: 'approved',
      deviceId: null,
    });
  }, 90_000);
});

/**
 * 11 strangers at once, each one attempt at a time, 10 wrong passwords each. The fair line lets
 * only a bounded number of unfamiliar clients wait (429 for the rest, never 503), and past 100
 * failures the name's backstop refuses unfamiliar clients.
 */
async function sprayFrom11Addresses(origin: string, upn: string): Promise<number[][]> {
  return Promise.all(
    Array.from({ length: 11 }, async (_, address) => {
      const stranger = new ClientAt(origin, `198.51.100.${address + 1}`);
      const statuses: number[] = [];
      for (let i = 0; statuses.filter((status) => status === 401).length < 10 && i < 40; i += 1) {
        statuses.push((await stranger.startSignin({ upn, password: `wrong-${i}` })).status);
      }
      return statuses;
    }),
  );
}
