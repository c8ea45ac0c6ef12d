import { describe, expect, it } from 'vitest';
import { parsePairingLink } from '../../../protocol/index.ts';
import { STEP_UP_APP_NAME } from '../../../relay-server/signin/signin-service.ts';
import { STEP_UP_TITLE } from '../../../relay-server/signin/signin-page.tsx';
import { decisionFrame, pairKeys, redeemWithNewKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { startTestRelay, type TestRelay } from '../helpers/test-relay.ts';
import { pageBrowser } from './page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

/**
 * Issue 9: adding a second authenticator needs a session that an authenticator approved (`swk`)
 * or a Temporary Access Pass started (`otp`). A password-only session is sent through an
 * approval first, on the sign-in machinery, and comes back upgraded.
 */

const PASSWORD = 'a-good-password-1';

/** A user with a password and one raw device on an open socket; a browser signed in with the password. */
async function passwordSessionWithDevice() {
  const relay = await startTestRelay();
  const user = await relay.createUser({ password: PASSWORD });
  const keys = await pairKeys(relay, user.upn, 'First laptop');
  const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
  const browser = pageBrowser(relay.running.relay, relay.origin);
  expect((await browser.signInWithPassword(user.upn, PASSWORD)).status).toBe(303);
  return { relay, user, keys, raw, browser };
}

/** Pairing offers of the user not used yet (the raw device's own pairing used one). */
async function offersOf(relay: TestRelay, userId: string): Promise<number> {
  const rows = await relay.running.relay.store.db
    .selectFrom('pairing_offers')
    .select('token_hash')
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
  return rows.length;
}

/** The request the step-up page started, as its data attributes carry it to the script. */
function startedRequest(html: string) {
  const attribute = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];
  return {
    requestId: attribute('data-request-id')!,
    browserToken: attribute('data-browser-token')!,
    number: attribute('data-number')!,
    returnTo: attribute('data-return-to'),
  };
}

/** Posts "Add authenticator" and follows its 303 to the GET page, as a browser does. */
async function askToAdd(browser: CookieBrowser): Promise<void> {
  const answer = await browser.post('/security-info/pairings', {});
  expect(answer.status).toBe(303);
  await browser.get(answer.headers.get('location')!.replace(/#.*/, ''));
}

const pairingLinkOf = (html: string) =>
  /<input[^>]*data-testid="pairing-link"[^>]*value="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');

describe('adding another authenticator on the security info page', () => {
  it('asks a password-only session to approve on an authenticator first, and makes no pairing offer yet', async () => {
    const { relay, user, raw, browser } = await passwordSessionWithDevice();
    expect(await (await browser.get('/security-info')).text()).toContain('data-testid="approval-first"');
    const answer = await browser.post('/security-info/pairings', {});
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/security-info/approve');
    const approve = await browser.get('/security-info/approve');
    expect(approve.headers.get('cache-control')).toBe('no-store');
    expect(browser.lastHtml).toContain(STEP_UP_TITLE);
    expect(pairingLinkOf(browser.lastHtml)).toBeUndefined();
    expect(await offersOf(relay, user.userId)).toBe(0);
    const started = startedRequest(browser.lastHtml);
    expect(started.returnTo).toBe('/security-info?approved=1');
    const challenge = await raw.next('challenge');
    expect(challenge).toMatchObject({ requestId: started.requestId, app: { name: STEP_UP_APP_NAME }, account: { upn: user.upn } });
    // A reload shows the same request again and sends no second push.
    await browser.get('/security-info/approve');
    expect(startedRequest(browser.lastHtml).requestId).toBe(started.requestId);
    const requests = await relay.running.relay.store.db
      .selectFrom('signin_requests')
      .select('id')
      .where('user_id', '=', user.userId)
      .where('status', '=', 'pending')
      .execute();
    expect(requests.map((row) => row.id)).toEqual([started.requestId]);
  });

  it('makes the pairing once the approval upgraded the session (amr with swk), and the first device hears of the new one', async () => {
    const { relay, user, keys, raw, browser } = await passwordSessionWithDevice();
    const passwordCookie = browser.cookies.get('countersign_session')!;
    await browser.get('/security-info');
    await askToAdd(browser);
    const started = startedRequest(browser.lastHtml);
    await raw.next('challenge');
    raw.send(decisionFrame(relay, keys, { requestId: started.requestId, decision: 'approve', number: started.number }));
    expect(await raw.next('result')).toMatchObject({ outcome: 'approved' });

    const completed = await browser.api('POST', `/api/v1/signins/${started.requestId}/complete`, { bearer: started.browserToken });
    expect(completed.status).toBe(200);
    expect(completed.headers.get('cache-control')).toBe('no-store');
    expect(((await completed.json()) as { session: { amr: string[] } }).session.amr).toEqual(['pwd', 'swk', 'pin', 'mfa']);
    expect(browser.cookies.get('countersign_session')).not.toBe(passwordCookie);
    // The password-only session it replaced is over.
    const stale = pageBrowser(relay.running.relay, relay.origin);
    stale.cookies.set('countersign_session', passwordCookie);
    expect((await stale.get('/security-info')).status).toBe(302);

    const back = await (await browser.get(started.returnTo!)).text();
    expect(back).toContain('You can now add another authenticator.');
    expect(back).not.toContain('data-testid="approval-first"');
    await askToAdd(browser);
    const link = pairingLinkOf(browser.lastHtml);
    expect(link).toBeDefined();
    expect(await offersOf(relay, user.userId)).toBe(1);

    // The new authenticator redeems the link; the first one gets a notice naming it.
    await redeemWithNewKeys(relay, parsePairingLink(link!)!.token, 'Second laptop');
    expect(await raw.next('notice')).toMatchObject({ deviceId: keys.deviceId, kind: 'authenticator_added', name: 'Second laptop' });
  });

  it('keeps asking after the approval was denied', async () => {
    const { relay, user, keys, raw, browser } = await passwordSessionWithDevice();
    await browser.get('/security-info');
    await askToAdd(browser);
    const started = startedRequest(browser.lastHtml);
    await raw.next('challenge');
    raw.send(decisionFrame(relay, keys, { requestId: started.requestId, decision: 'deny' }));
    expect(await raw.next('result')).toMatchObject({ outcome: 'denied' });
    expect((await browser.api('POST', `/api/v1/signins/${started.requestId}/complete`, { bearer: started.browserToken })).status).toBe(409);
    // The settled request is not shown again: the approve page goes back to Security info.
    expect((await browser.get('/security-info/approve')).headers.get('location')).toBe('/security-info');
    await browser.get('/security-info');
    await askToAdd(browser);
    expect(browser.lastHtml).toContain(STEP_UP_TITLE);
    expect(startedRequest(browser.lastHtml).requestId).not.toBe(started.requestId);
    expect(await offersOf(relay, user.userId)).toBe(0);
  });

  it('refuses with a message, and no offer, when no approval can be sent to the user', async () => {
    const { relay, user, browser } = await passwordSessionWithDevice();
    await relay.setPolicy({ enabled: false });
    await browser.get('/security-info');
    const answer = await browser.post('/security-info/pairings', {});
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/security-info?approval=unavailable');
    await browser.get(answer.headers.get('location')!);
    expect(browser.lastHtml).toContain('Temporary Access Pass');
    expect(pairingLinkOf(browser.lastHtml)).toBeUndefined();
    expect(await offersOf(relay, user.userId)).toBe(0);
  });

  it('lets a Temporary Access Pass session add another authenticator straight away', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    await pairKeys(relay, user.upn);
    const tap = await relay.admin.issueTap(user.upn, { lifetimeMinutes: 60, oneTime: true });
    const browser = pageBrowser(relay.running.relay, relay.origin);
    expect((await browser.signInWithPassword(user.upn, tap.code)).status).toBe(303);
    expect(await (await browser.get('/security-info')).text()).not.toContain('data-testid="approval-first"');
    await askToAdd(browser);
    expect(pairingLinkOf(browser.lastHtml)).toBeDefined();
  });

  it('lets a password session add the first authenticator', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser({ password: PASSWORD });
    const browser = pageBrowser(relay.running.relay, relay.origin);
    expect((await browser.signInWithPassword(user.upn, PASSWORD)).status).toBe(303);
    await browser.get('/security-info'); // the form carries this session's CSRF token
    await askToAdd(browser);
    expect(pairingLinkOf(browser.lastHtml)).toBeDefined();
  });
});
