import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { signInWithApproval } from './helpers/approved-session.ts';
import { CookieBrowser } from '../../testing/cookie-browser.ts';

/**
 * A display name travels in every challenge to the user's devices, which refuse one that is not a
 * single line: a newline accepted once would silently stop push sign-in for that user. Every admin
 * route that takes a display name refuses it and changes nothing.
 */
// Inside the name: the pages trim what is typed, so a newline at either end is simply dropped there.
const BROKEN_NAMES = ['Alice\nEvil', 'Alice\r\nEvil', 'Alice\rEvil', 'Alice\n\nEvil'];

describe('a display name with a newline', () => {
  it('is refused with 400 invalid_request by every admin route, API and pages, and nothing changes', async () => {
    const relay = await relayWithDevice();
    const target = await relay.createUser({ displayName: 'Target User' });
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, { admin: true, body: { isAdmin: true } });
    const admin = new CookieBrowser(relay.origin);
    await signInWithApproval(admin, relay.signin, relay.device, relay.user.upn);
    const before = await relay.http('GET', '/api/v1/admin/users', { admin: true });

    for (const [index, name] of BROKEN_NAMES.entries()) {
      const label = JSON.stringify(name);
      const created = await relay.http('POST', '/api/v1/admin/users', {
        admin: true,
        body: { upn: `newline${index}@example.test`, displayName: name },
      });
      expect(created.status, `POST /api/v1/admin/users ${label}`).toBe(400);
      expect(created.body.error.code).toBe('invalid_request');

      const patched = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(target.upn)}`, {
        admin: true,
        body: { displayName: name },
      });
      expect(patched.status, `PATCH ${label}`).toBe(400);
      expect(patched.body.error.code).toBe('invalid_request');
      // A bad display name spoils the whole body: the other fields are not applied either.
      const mixed = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(target.upn)}`, {
        admin: true,
        body: { displayName: name, groups: ['sneaked'] },
      });
      expect(mixed.status).toBe(400);

      await admin.get('/admin/users');
      const page = await admin.post('/admin/users', { upn: `newline-page${index}@example.test`, displayName: name, groups: '' });
      expect(page.status, `POST /admin/users ${label}`).toBe(400);
      expect(admin.lastHtml).toContain('data-testid="error-displayName"');

      await admin.get(`/admin/users/${encodeURIComponent(target.userId)}`);
      const profile = await admin.post(`/admin/users/${encodeURIComponent(target.userId)}`, { displayName: name, groups: 'sneaked' });
      expect(profile.status, `POST /admin/users/{id} ${label}`).toBe(400);
      expect(admin.lastHtml).toContain('data-testid="error-displayName"');
    }
    expect((await relay.http('GET', '/api/v1/admin/users', { admin: true })).body).toEqual(before.body);
    // And the user still gets pushes their device accepts.
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });
});
