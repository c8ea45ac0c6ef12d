import { describe, expect, it } from 'vitest';
import { relayWithDevice, startTestRelay } from '../integration/helpers/test-relay.ts';
import { signInWithApproval } from './helpers/approved-session.ts';
import { CookieBrowser } from '../../testing/cookie-browser.ts';

const PASSWORD = 'correct horse battery';

/** Two browsers signed in as a fresh user with a password. */
async function signedInTwice(relay: Awaited<ReturnType<typeof startTestRelay>>) {
  const user = await relay.createUser({ password: PASSWORD });
  const browsers = [new CookieBrowser(relay.origin), new CookieBrowser(relay.origin)];
  for (const browser of browsers) expect((await browser.signInWithPassword(user.upn, PASSWORD)).status).toBe(303);
  return { user, browsers };
}

const signedIn = async (browser: CookieBrowser) => (await browser.get('/me')).status === 200;

describe('ending sessions', () => {
  it('signs a user out everywhere when the admin API sets a new password', async () => {
    const relay = await startTestRelay();
    const { user, browsers } = await signedInTwice(relay);
    const other = await signedInTwice(relay);
    const answer = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(user.upn)}`, {
      admin: true,
      body: { password: 'a brand new password' },
    });
    expect(answer.status).toBe(200);
    for (const browser of browsers) expect(await signedIn(browser)).toBe(false);
    for (const browser of other.browsers) expect(await signedIn(browser)).toBe(true);
    // A change that is not a password keeps the sessions.
    const again = new CookieBrowser(relay.origin);
    await again.signInWithPassword(user.upn, 'a brand new password');
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(user.upn)}`, { admin: true, body: { displayName: 'Renamed' } });
    expect(await signedIn(again)).toBe(true);
  });

  it('signs a user out everywhere with DELETE /api/v1/admin/users/{upn}/sessions, which needs the admin token', async () => {
    const relay = await startTestRelay();
    const { user, browsers } = await signedInTwice(relay);
    const path = `/api/v1/admin/users/${encodeURIComponent(user.upn)}/sessions`;
    expect((await relay.http('DELETE', path, { bearer: 'not-the-admin-token-at-all' })).status).toBe(401);
    for (const browser of browsers) expect(await signedIn(browser)).toBe(true);
    expect((await relay.http('DELETE', `/api/v1/admin/users/nobody%40example.test/sessions`, { admin: true })).body.error.code).toBe(
      'not_found',
    );
    expect((await relay.http('DELETE', path, { admin: true })).status).toBe(204);
    for (const browser of browsers) expect(await signedIn(browser)).toBe(false);
  });

  it('signs a user out everywhere from the admin pages: on a password reset, and with the confirmed button', async () => {
    const relay = await relayWithDevice();
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, { admin: true, body: { isAdmin: true } });
    const admin = new CookieBrowser(relay.origin);
    await signInWithApproval(admin, relay.signin, relay.device, relay.user.upn);

    const { user, browsers } = await signedInTwice(relay);
    const page = `/admin/users/${encodeURIComponent(user.userId)}`;
    expect((await admin.get(page)).status).toBe(200);
    expect((await admin.post(`${page}/password`, { password: 'another new password' })).status).toBe(303);
    for (const browser of browsers) expect(await signedIn(browser)).toBe(false);

    for (const browser of browsers) await browser.signInWithPassword(user.upn, 'another new password');
    // Without the confirmation box nothing happens.
    expect((await admin.post(`${page}/sessions/revoke`, {})).status).toBe(400);
    for (const browser of browsers) expect(await signedIn(browser)).toBe(true);
    const signedOut = await admin.post(`${page}/sessions/revoke`, { confirm: '1' });
    expect(signedOut.status).toBe(303);
    await admin.get(signedOut.headers.get('location')!);
    expect(admin.lastHtml).toContain('Signed out everywhere (2 sessions ended)');
    for (const browser of browsers) expect(await signedIn(browser)).toBe(false);

    // An admin signing themselves out everywhere keeps the session they did it from.
    const elsewhere = new CookieBrowser(relay.origin);
    await signInWithApproval(elsewhere, relay.signin, relay.device, relay.user.upn);
    const own = `/admin/users/${encodeURIComponent(relay.user.userId)}`;
    await admin.get(own);
    expect((await admin.post(`${own}/sessions/revoke`, { confirm: '1' })).status).toBe(303);
    expect(await signedIn(elsewhere)).toBe(false);
    expect(await signedIn(admin)).toBe(true);
  });
});
