import { describe, expect, it, vi } from 'vitest';
import { FORWARD_AUTH_COOKIE, startForwardAuthRelay } from './forward-auth-relay.ts';

const RULES = [
  { host: 'dash.example.test', groups: ['staff'], policy: 'session' },
  { host: 'admin.example.test', groups: ['admins'], policy: 'session' },
];

async function relayWithRules() {
  const relay = await startForwardAuthRelay();
  expect((await relay.putRules(RULES)).status).toBe(200);
  return relay;
}

describe('GET /api/v1/forward-auth (docs/protocol.md section 10)', () => {
  it('lets a signed-in person in a rule’s groups through, with all four Remote-* headers', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'zoe@example.test', displayName: 'Zoë Ødegård', groups: ['staff', 'ops'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/reports');
    const answer = await relay.check({ host: 'dash.example.test', cookie: cookie! });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('remote-user')).toBe('zoe@example.test');
    expect(answer.headers.get('remote-name')).toBe('Zo%C3%AB %C3%98deg%C3%A5rd');
    expect(decodeURIComponent(answer.headers.get('remote-name')!)).toBe('Zoë Ødegård');
    expect(answer.headers.get('remote-email')).toBe('');
    expect(answer.headers.get('remote-groups')).toBe('ops,staff');
    const withEmail = await relay.signedInUser({ upn: 'ann@example.test', email: 'ann@example.test', groups: ['staff'] });
    const { cookie: annCookie } = await relay.forwardAuthCookie(withEmail.session, 'https://dash.example.test/');
    expect((await relay.check({ host: 'dash.example.test', cookie: annCookie! })).headers.get('remote-email')).toBe('ann@example.test');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 401 without a cookie, naming the sign-in page with rd in Location; 302 there in redirect mode', async () => {
    const relay = await relayWithRules();
    const plain = await relay.check({ host: 'dash.example.test', uri: '/reports?q=1' });
    expect(plain.status).toBe(401);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const signin = `${relay.origin}/signin?rd=${encodeURIComponent('https://dash.example.test/reports?q=1')}`;
    expect(plain.headers.get('location')).toBe(signin);
    const redirect = await relay.check({ host: 'dash.example.test', uri: '/reports?q=1', query: '?mode=redirect' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(signin);
  });

  it('answers 403 to a person outside the rule’s groups, and for a host no rule names', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'carol@example.test', groups: ['contractors'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    expect((await relay.check({ host: 'dash.example.test', cookie: cookie! })).status).toBe(403);
    expect((await relay.check({ host: 'unknown.example.test', cookie: cookie! })).status).toBe(403);
    // Not signed in either: an unknown host is never a way to the sign-in page.
    const anonymous = await relay.check({ host: 'unknown.example.test', query: '?mode=redirect' });
    expect(anonymous.status).toBe(403);
    expect(anonymous.headers.get('location')).toBeNull();
    // A browser (Caddy passes the answer through) gets a page, not JSON.
    const page = await relay.check({ host: 'dash.example.test', cookie: cookie!, headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('Access denied');
  });

  it('compares hosts as section 1 says: case, port and a trailing dot do not matter', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'dan@example.test', groups: ['staff'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    for (const host of ['DASH.Example.TEST', 'dash.example.test:8443', 'dash.example.test.', 'dash.example.test.:443']) {
      expect((await relay.check({ host, cookie: cookie! })).status, host).toBe(200);
    }
  });

  it('reads one session lookup per couple of seconds, and writes nothing per request', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'erin@example.test', groups: ['staff'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    const store = relay.running.relay.store;
    const lookups = vi.spyOn(store.forwardAuth, 'holder');
    const rows = async () =>
      Promise.all([
        store.db
          .selectFrom('forward_auth_handles')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow(),
        store.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
    const before = await rows();
    const answers = await Promise.all(Array.from({ length: 50 }, () => relay.check({ host: 'dash.example.test', cookie: cookie! })));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(await rows()).toEqual(before);
  });

  it('ends with the relay session: signing out there stops the forward-auth cookie', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'fay@example.test', groups: ['staff'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    expect((await relay.check({ host: 'dash.example.test', cookie: cookie! })).status).toBe(200);
    await relay.running.relay.store.sessions.remove(session);
    // Each instance trusts a lookup for two seconds at most.
    await expect.poll(async () => (await relay.check({ host: 'dash.example.test', cookie: cookie! })).status, { timeout: 5_000 }).toBe(401);
    expect(await relay.running.relay.store.db.selectFrom('forward_auth_handles').selectAll().execute()).toEqual([]);
  });

  it('ends when the relay session expires', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'gus@example.test', groups: ['staff'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    relay.clock.advance(8 * 3_600_000);
    expect((await relay.check({ host: 'dash.example.test', cookie: cookie! })).status).toBe(401);
  });
});

describe('the forward-auth cookie (COOKIE_DOMAIN)', () => {
  it('is set for COOKIE_DOMAIN, HttpOnly, not Secure on http, and only it names a Domain', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'hal@example.test', groups: ['staff'] });
    const { response, setCookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/x?y=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://dash.example.test/x?y=1');
    expect(setCookie).toMatch(/; Domain=example\.test/i);
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).not.toMatch(/; Secure/i);
    expect(response.headers.getSetCookie().filter((header) => /domain=/i.test(header))).toEqual([setCookie]);
  });

  it('is good for forward auth only: as a relay session cookie it signs nobody in', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'ivy@example.test', groups: ['staff'] });
    const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
    const me = await fetch(`${relay.address}/me`, { headers: { cookie: `countersign_session=${cookie}` }, redirect: 'manual' });
    expect(me.status).toBe(302);
    // And the relay session cookie is no forward-auth cookie.
    expect((await relay.check({ host: 'dash.example.test', headers: { cookie: `countersign_session=${session}` } })).status).toBe(401);
    expect((await relay.check({ host: 'dash.example.test', cookie: session })).status).toBe(401);
  });

  it('is not set, and rd is ignored, when rd names a host no rule names', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'jo@example.test', groups: ['staff'] });
    for (const rd of [
      'https://evil.example.net/',
      '//evil.example.net/',
      'https://dash.example.test@evil.example.net/',
      'http://dash.example.test/',
    ]) {
      const { response, setCookie } = await relay.forwardAuthCookie(session, rd);
      expect(response.status, rd).toBe(200);
      expect(setCookie, rd).toBeUndefined();
      expect(
        response.headers.getSetCookie().some((header) => header.startsWith('countersign_forward_auth_rd=')),
        rd,
      ).toBe(false);
    }
  });

  it('is set after a sign-in that started from a protected site: /me sends the person back', async () => {
    const relay = await relayWithRules();
    const rd = 'https://dash.example.test/after';
    const signedOut = await fetch(`${relay.address}/signin?rd=${encodeURIComponent(rd)}`, { redirect: 'manual' });
    expect(signedOut.status).toBe(200);
    const kept = signedOut.headers
      .getSetCookie()
      .find((header) => header.startsWith('countersign_forward_auth_rd='))!
      .split(';')[0]!;
    // The password page's form may then be answered with a redirect off the relay (no form-action 'self').
    const passwordPage = await fetch(`${relay.address}/signin/password`, { headers: { cookie: kept } });
    expect(passwordPage.headers.get('content-security-policy')).not.toContain('form-action');
    const plainPage = await fetch(`${relay.address}/signin/password`);
    expect(plainPage.headers.get('content-security-policy')).toContain("form-action 'self'");
    relay.clock.advance(1_000);
    const { session } = await relay.signedInUser({ upn: 'kim@example.test', groups: ['staff'] });
    const me = await fetch(`${relay.address}/me`, { headers: { cookie: `countersign_session=${session}; ${kept}` }, redirect: 'manual' });
    expect(me.status).toBe(303);
    expect(me.headers.get('location')).toBe(rd);
    const cookie = me.headers
      .getSetCookie()
      .find((header) => header.startsWith(`${FORWARD_AUTH_COOKIE}=`))!
      .split(';')[0]!
      .split('=')[1]!;
    expect((await relay.check({ host: 'dash.example.test', cookie })).status).toBe(200);
  });

  it('is not handed to a session older than the kept rd (someone else’s planted return)', async () => {
    const relay = await relayWithRules();
    const { session } = await relay.signedInUser({ upn: 'lee@example.test', groups: ['staff'] });
    relay.clock.advance(1_000);
    const kept = `countersign_forward_auth_rd=${relay.clock.now()}|https://dash.example.test/`;
    const me = await fetch(`${relay.address}/me`, { headers: { cookie: `countersign_session=${session}; ${kept}` }, redirect: 'manual' });
    expect(me.status).toBe(200);
    expect(me.headers.getSetCookie().some((header) => header.startsWith(`${FORWARD_AUTH_COOKIE}=`))).toBe(false);
  });
});
