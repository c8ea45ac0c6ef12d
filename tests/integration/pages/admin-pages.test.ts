import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
let admin: CookieBrowser;
beforeAll(async () => {
  env = await pageRelay();
  admin = pageBrowser(env.relay, ORIGIN);
  expect((await admin.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
});
afterAll(async () => {
  await env.close();
});

const userId = async (upn: string) => (await env.relay.store.users.byUpn(upn))!.id;

describe('the admin pages', () => {
  it('send anonymous visitors to sign in and show ordinary users a 403 page', async () => {
    const anonymous = await pageBrowser(env.relay, ORIGIN).get('/admin/policy');
    expect(anonymous.status).toBe(302);
    const alice = pageBrowser(env.relay, ORIGIN);
    await alice.signInWithPassword('alice@demo.test', 'countersign-demo');
    for (const page of ['/admin', '/admin/policy', '/admin/users', '/admin/signins', '/admin/signins.csv']) {
      const response = await alice.get(page);
      expect(response.status, page).toBe(page === '/admin' ? 302 : 403);
    }
    await alice.get('/me');
    const post = await alice.post('/admin/policy', { enabled: '1', mode: 'passwordless' });
    expect(post.status).toBe(403);
    expect((await env.relay.store.policy.get()).mode).toBe('any');
  });

  it('show the policy with the chance of a lucky guess and save a valid change', async () => {
    const page = await admin.get('/admin/policy');
    expect(page.status).toBe(200);
    expect(testIdText(admin.lastHtml, 'lucky-guess')).toBe('Chance of a lucky guess: 1 in 100');
    const response = await admin.post('/admin/policy', {
      enabled: '1',
      targets: 'groups',
      targetGroups: 'staff, admins',
      excludeGroups: 'contractors',
      mode: 'any',
      matchMode: 'choose',
      digits: '3',
      showAppName: '1',
      requestTtlSeconds: '90',
      maxPushesPer10Min: '7',
      maxUnfamiliarPushesPerHour: '12',
      lockoutAfterFailures: '4',
    });
    expect(response.status).toBe(303);
    expect(await env.relay.store.policy.get()).toEqual({
      enabled: true,
      targets: ['staff', 'admins'],
      excludeGroups: ['contractors'],
      mode: 'any',
      match: { mode: 'choose', digits: 3 },
      showAppName: true,
      showLocation: false,
      requestTtlSeconds: 90,
      maxPushesPer10Min: 7,
      maxUnfamiliarPushesPerHour: 12,
      lockoutAfterFailures: 4,
    });
    await admin.get('/admin/policy?saved=1');
    expect(testIdText(admin.lastHtml, 'lucky-guess')).toBe('Chance of a lucky guess: 1 in 3');
  });

  it('name the bad field and change nothing when the policy is invalid', async () => {
    await admin.get('/admin/policy');
    const before = await env.relay.store.policy.get();
    const response = await admin.post('/admin/policy', {
      enabled: '1',
      targets: 'all',
      mode: 'any',
      matchMode: 'type',
      digits: '9',
      requestTtlSeconds: '120',
      maxPushesPer10Min: '5',
      lockoutAfterFailures: '10',
    });
    expect(response.status).toBe(400);
    expect(admin.lastHtml).toContain('data-testid="error-match.digits"');
    expect(await env.relay.store.policy.get()).toEqual(before);
  });

  it('create a user, with errors by field', async () => {
    await admin.get('/admin/users');
    const bad = await admin.post('/admin/users', { upn: 'has space@demo.test', displayName: 'X' });
    expect(bad.status).toBe(400);
    expect(admin.lastHtml).toContain('data-testid="error-upn"');
    await admin.get('/admin/users');
    const created = await admin.post('/admin/users', { upn: 'carol@demo.test', displayName: 'Carol', groups: 'staff' });
    expect(created.status).toBe(303);
    expect(await env.relay.store.users.groupsOf(await userId('carol@demo.test'))).toEqual(['staff']);
    await admin.get('/admin/users');
    const again = await admin.post('/admin/users', { upn: 'carol@demo.test', displayName: 'Carol' });
    expect(again.status).toBe(400);
    expect(admin.lastHtml).toContain('already exists');
  });

  it('give a user an email (the email claim apps read), change it on their page, and refuse a malformed one', async () => {
    await admin.get('/admin/users');
    const bad = await admin.post('/admin/users', { upn: 'dave@demo.test', displayName: 'Dave', email: 'not an email' });
    expect(bad.status).toBe(400);
    expect(admin.lastHtml).toContain('data-testid="error-email"');
    expect(await env.relay.store.users.byUpn('dave@demo.test')).toBeUndefined();
    await admin.get('/admin/users');
    expect((await admin.post('/admin/users', { upn: 'dave@demo.test', displayName: 'Dave', email: 'dave@example.com' })).status).toBe(303);
    const id = await userId('dave@demo.test');
    expect((await env.relay.store.users.byId(id))?.email).toBe('dave@example.com');
    await admin.get(`/admin/users/${id}`);
    const wrong = await admin.post(`/admin/users/${id}`, { displayName: 'Dave', email: 'dave@', groups: '' });
    expect(wrong.status).toBe(400);
    expect((await env.relay.store.users.byId(id))?.email).toBe('dave@example.com');
    await admin.get(`/admin/users/${id}`);
    expect((await admin.post(`/admin/users/${id}`, { displayName: 'Dave', email: '', groups: '' })).status).toBe(303);
    expect((await env.relay.store.users.byId(id))?.email).toBeNull();
    // The demo users' email is their UPN.
    expect((await env.relay.store.users.byUpn('alice@demo.test'))?.email).toBe('alice@demo.test');
  });

  it('issue a Temporary Access Pass that the password page accepts', async () => {
    const id = await userId('carol@demo.test');
    await admin.get(`/admin/users/${id}`);
    const response = await admin.post(`/admin/users/${id}/tap`, { lifetimeMinutes: '60', oneTime: '1' });
    // Post/redirect/get: the pass is shown once, on the page the 303 leads to, never in the URL.
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    expect(location).toBe(`/admin/users/${id}?done=tap`);
    await admin.get(location);
    const code = testIdText(admin.lastHtml, 'tap-code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(admin.lastHtml).toMatch(/valid until <time datetime="[^"]+" data-local-time="">/);
    const carol = pageBrowser(env.relay, ORIGIN);
    expect((await carol.signInWithPassword('carol@demo.test', code)).status).toBe(303);
    await admin.get(`/admin/users/${id}`);
    expect((await admin.post(`/admin/users/${id}/tap`, { lifetimeMinutes: '5', oneTime: '1' })).status).toBe(400);
  });

  it('reset a password and clear the at-risk flag', async () => {
    const id = await userId('bob@demo.test');
    await env.relay.store.users.setPushBlocked(id, true);
    await admin.get(`/admin/users/${id}`);
    expect(admin.lastHtml).toContain('data-testid="clear-risk"');
    expect((await admin.post(`/admin/users/${id}/clear-risk`, {})).status).toBe(303);
    expect((await env.relay.store.users.byId(id))!.push_blocked).toBe(0);
    await admin.get(`/admin/users/${id}`);
    expect((await admin.post(`/admin/users/${id}/password`, { password: 'short' })).status).toBe(400);
    expect((await admin.post(`/admin/users/${id}/password`, { password: 'a-brand-new-password' })).status).toBe(303);
    expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', 'a-brand-new-password')).status).toBe(303);
  });

  it('revoke a user’s authenticator', async () => {
    const id = await userId('alice@demo.test');
    const offer = await env.relay.store.pairings.create(id, env.clock.now(), 60_000);
    const redeemed = await env.relay.store.pairings.redeem(
      offer.token,
      { name: 'Lost laptop', publicKey: 'x', connectPublicKey: 'y' },
      env.clock.now(),
    );
    if (!redeemed.ok) throw new Error(redeemed.code);
    await admin.get(`/admin/users/${id}`);
    expect(admin.lastHtml).toContain('Lost laptop');
    const response = await admin.post(`/admin/devices/${redeemed.device.id}/revoke`, { userId: id });
    expect(response.status).toBe(303);
    expect(await env.relay.store.devices.byId(redeemed.device.id)).toBeUndefined();
    expect(env.sentToDevices).toContainEqual({ deviceId: redeemed.device.id, message: { type: 'revoked', deviceId: redeemed.device.id } });
  });

  it('show the sign-in log with filters and export it as CSV', async () => {
    await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', 'wrong-password');
    const page = await admin.get('/admin/signins?upn=alice%40demo.test&status=denied');
    expect(page.status).toBe(200);
    const rows = [...admin.lastHtml.matchAll(/data-testid="log-row"/g)];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    // Times are written in UTC and shown in the reader's locale and zone, as on the person's own pages.
    expect(admin.lastHtml).toMatch(/<td data-label="Time"><time datetime="\d{4}-\d\d-\d\dT[^"]+Z" data-local-time="">/);
    expect(admin.lastHtml).not.toContain('carol@demo.test');
    const csv = await admin.get('/admin/signins.csv?upn=alice%40demo.test&status=denied');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('requestId,createdAt,upn,app,ip,location,browser,os,method,status,reason,reasonText,deviceId,decidedAt');
    expect(lines.slice(1).every((line) => line.includes('"alice@demo.test"') && line.includes('"denied"'))).toBe(true);
    const future = await admin.get('/admin/signins?since=2099-01-01T00:00');
    expect(future.status).toBe(200);
    expect(admin.lastHtml).toContain('No sign-ins match.');
    expect((await admin.get('/admin/signins?since=yesterday')).status).toBe(400);
  });
});
