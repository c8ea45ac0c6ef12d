import { describe, expect, it } from 'vitest';
import { relayWithDevice, startTestRelay } from '../integration/helpers/test-relay.ts';
import { signInWithApproval } from './helpers/approved-session.ts';
import { CookieBrowser } from '../../testing/cookie-browser.ts';

const PASSWORD = 'correct horse battery';
const SESSION = 'countersign_session';

describe('sign-in and CSRF tokens', () => {
  it('gives a new session id at sign-in, so a planted session id is not upgraded and stops working', async () => {
    const relay = await startTestRelay();
    const attacker = await relay.createUser({ password: PASSWORD });
    const victim = await relay.createUser({ password: PASSWORD });
    const attackerBrowser = new CookieBrowser(relay.origin);
    expect((await attackerBrowser.signInWithPassword(attacker.upn, PASSWORD)).status).toBe(303);
    const planted = attackerBrowser.cookies.get(SESSION)!;

    const victimBrowser = new CookieBrowser(relay.origin);
    victimBrowser.cookies.set(SESSION, planted);
    expect((await victimBrowser.signInWithPassword(victim.upn, PASSWORD)).status).toBe(303);
    expect(victimBrowser.cookies.get(SESSION)).toBeDefined();
    expect(victimBrowser.cookies.get(SESSION)).not.toBe(planted);
    // The planted id was ended at the victim's sign-in: the attacker holds nothing of theirs.
    expect((await attackerBrowser.get('/me')).status).toBe(302);
  });

  it('gives a new CSRF token at every sign-in, by password or by approval, and refuses the old one', async () => {
    const relay = await relayWithDevice({ password: PASSWORD });
    const browser = new CookieBrowser(relay.origin);
    await browser.get('/signin/password');
    const preSession = browser.csrfToken();
    expect((await browser.post('/signin/password', { upn: relay.user.upn, password: PASSWORD })).status).toBe(303);
    const passwordSession = browser.cookies.get(SESSION);
    expect(browser.cookies.has('countersign_csrf')).toBe(false); // the pre-session token ended
    await browser.get('/me');
    const byPassword = browser.csrfToken();
    expect(byPassword).not.toBe(preSession);

    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    expect(browser.cookies.get(SESSION)).not.toBe(passwordSession);
    await browser.get('/security-info');
    const byApproval = browser.csrfToken();
    expect(byApproval).not.toBe(byPassword);

    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    await browser.get('/security-info');
    const second = browser.csrfToken();
    expect(second).not.toBe(byApproval);

    // The previous session's token and the pre-session one no longer pass a form.
    for (const stale of [byPassword, byApproval, preSession]) {
      expect((await browser.post('/signout', {}, { csrf: stale })).status).toBe(403);
      expect((await browser.get('/me')).status).toBe(200);
    }
    expect((await browser.post('/signout', {}, { csrf: second })).status).toBe(303);
    expect((await browser.get('/me')).status).toBe(302);
  });

  it("refuses a form of a signed-in user carrying another session's token, or a planted double-submit pair", async () => {
    const relay = await relayWithDevice({ password: PASSWORD });
    const attacker = await relay.createUser({ password: PASSWORD });
    const attackerBrowser = new CookieBrowser(relay.origin);
    await attackerBrowser.signInWithPassword(attacker.upn, PASSWORD);
    await attackerBrowser.get('/security-info');
    const attackerToken = attackerBrowser.csrfToken();

    const victim = new CookieBrowser(relay.origin);
    await signInWithApproval(victim, relay.signin, relay.device, relay.user.upn);
    const removal = `/security-info/devices/${encodeURIComponent(relay.deviceId)}/remove`;
    expect((await victim.post(removal, {}, { csrf: attackerToken })).status).toBe(403);
    // A cookie planted beside a matching field (double submit) is no token for a session's form.
    victim.cookies.set('countersign_csrf', 'AAAAAAAAAAAAAAAAAAAAAA');
    expect((await victim.post(removal, {}, { csrf: 'AAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(403);
    expect((await victim.post('/signout', {}, { csrf: 'AAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(403);
    expect((await relay.admin.getUser(relay.user.upn)).devices).toHaveLength(1);
    expect((await victim.get('/me')).status).toBe(200);
  });
});
