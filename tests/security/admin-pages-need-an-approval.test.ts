import { describe, expect, it, onTestFinished } from 'vitest';
import { startRelay } from '../../testing/start-relay.ts';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { signInWithApproval } from './helpers/approved-session.ts';
import { CookieBrowser } from '../../testing/cookie-browser.ts';

const PASSWORD = 'correct horse battery';

describe('the admin pages', () => {
  it('refuse an admin session made with a password alone outside demo mode, and let an approved one in', async () => {
    const relay = await relayWithDevice({ password: PASSWORD });
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, { admin: true, body: { isAdmin: true } });
    const browser = new CookieBrowser(relay.origin);
    expect((await browser.signInWithPassword(relay.user.upn, PASSWORD)).status).toBe(303);
    relay.clock.advance(1_000);
    for (const page of ['/admin/policy', '/admin/users', '/admin/signins', '/admin/signins.csv']) {
      const answer = await browser.get(page);
      expect(answer.status, page).toBe(403);
    }
    expect(browser.lastHtml).toContain('data-testid="admin-needs-mfa"');
    // A form post with the session's own token is refused too, and changes nothing; /me does
    // not send this (older) session back to the admin page.
    expect((await browser.get('/me')).status).toBe(200);
    const before = await relay.admin.getPolicy();
    expect((await browser.post('/admin/policy', { enabled: '1', mode: 'passwordless', matchMode: 'type', digits: '2' })).status).toBe(403);
    expect(await relay.admin.getPolicy()).toEqual(before);

    // After an approval the same browser gets in, and comes back to where it was going.
    await signInWithApproval(browser, relay.signin, relay.device, relay.user.upn);
    const me = await browser.get('/me');
    expect(me.status).toBe(303);
    expect(me.headers.get('location')).toBe('/admin/signins.csv');
    const page = await browser.get('/admin/users');
    expect(page.status).toBe(200);
    expect(browser.lastHtml).not.toContain('demo-admin-warning');
  });

  it('let a password-only admin in under a visible warning in demo mode', async () => {
    const running = await startRelay({ demo: true });
    onTestFinished(() => running.stop());
    const browser = new CookieBrowser(running.origin);
    expect((await browser.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
    expect((await browser.get('/admin/users')).status).toBe(200);
    expect(browser.lastHtml).toContain('data-testid="demo-admin-warning"');
  });

  it('remember where a signed-out visitor was going, and only ever send them back to an admin page', async () => {
    const running = await startRelay({ demo: true });
    onTestFinished(() => running.stop());
    const browser = new CookieBrowser(running.origin);
    const answer = await browser.get('/admin/signins?upn=alice%40demo.test');
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/signin');
    expect((await browser.signInWithPassword('admin@demo.test', 'countersign-admin')).headers.get('location')).toBe('/me');
    const me = await browser.get('/me');
    expect(me.headers.get('location')).toBe('/admin/signins?upn=alice%40demo.test');
    expect((await browser.get('/me')).status).toBe(200); // used once

    // A destination planted in the cookie that is not an admin page is ignored.
    for (const planted of ['https://evil.example/', '//evil.example/admin', '/admin//evil.example', '/me']) {
      browser.cookies.set('countersign_return_to', encodeURIComponent(`0|${planted}`));
      const again = await browser.get('/me');
      expect(again.status, planted).toBe(200);
    }
  });
});
