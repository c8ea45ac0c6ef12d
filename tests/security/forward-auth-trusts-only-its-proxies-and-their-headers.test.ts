import { describe, expect, it } from 'vitest';
import { startForwardAuthRelay } from '../integration/forward-auth/forward-auth-relay.ts';

/**
 * docs/protocol.md section 10: the check answers only the proxies in FORWARD_AUTH_PROXIES, and
 * reads the original request from the four X-Forwarded headers alone, so nothing a client adds
 * (X-Original-URL, Forwarded, a second X-Forwarded-Host, Host) reaches another host's rule.
 * (The real proxies' side of this, that they overwrite what the client sent, is in
 * tests/integration/forward-auth/through-real-proxies.test.ts.)
 */
async function signedInStaff(env: Record<string, string> = {}) {
  const relay = await startForwardAuthRelay(env);
  expect(
    (
      await relay.putRules([
        { host: 'dash.example.test', groups: ['staff'], policy: 'session' },
        { host: 'admin.example.test', groups: ['admins'], policy: 'session' },
      ])
    ).status,
  ).toBe(200);
  const { session } = await relay.signedInUser({ upn: 'mallory@example.test', groups: ['staff'] });
  const { cookie } = await relay.forwardAuthCookie(session, 'https://dash.example.test/');
  return { relay, cookie: cookie! };
}

describe('the forward-auth check trusts only its proxies and their four headers', () => {
  it('answers 403 to a peer that is not in FORWARD_AUTH_PROXIES, whatever X-Forwarded-For says', async () => {
    const { relay, cookie } = await signedInStaff({ FORWARD_AUTH_PROXIES: '10.9.9.9, fd00::/8' });
    const forged: Record<string, string>[] = [
      {},
      { 'x-forwarded-for': '10.9.9.9' },
      { 'x-real-ip': '10.9.9.9' },
      { forwarded: 'for=10.9.9.9' },
    ];
    for (const headers of forged) {
      const answer = await relay.check({ host: 'dash.example.test', cookie, headers });
      expect(answer.status).toBe(403);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      expect(answer.headers.get('remote-user')).toBeNull();
    }
  });

  it('ignores X-Original-URL, Forwarded and Host: only X-Forwarded-Host picks the rule', async () => {
    const { relay, cookie } = await signedInStaff();
    const answer = await relay.check({
      host: 'admin.example.test',
      cookie,
      headers: {
        'x-original-url': 'https://dash.example.test/',
        'x-original-host': 'dash.example.test',
        forwarded: 'host=dash.example.test;proto=https',
        'x-forwarded-server': 'dash.example.test',
      },
    });
    expect(answer.status).toBe(403);
  });

  it('refuses an X-Forwarded-Host that holds a list (a client’s value the proxy appended to) or is not a hostname', async () => {
    const { relay, cookie } = await signedInStaff();
    for (const host of [
      'dash.example.test, admin.example.test',
      'admin.example.test,dash.example.test',
      'dash.example.test/x',
      'user@dash.example.test',
      'Zoë.example.test',
      'xn--zo-8ja.example.test ',
      '',
      ' ',
    ]) {
      const answer = await relay.check({ host, cookie });
      expect([400, 403], JSON.stringify(host)).toContain(answer.status);
      expect(answer.headers.get('remote-user'), JSON.stringify(host)).toBeNull();
    }
    // Non-ASCII bytes in the header (as a raw client could send them) are refused too.
    const raw = await fetch(`${relay.address}/api/v1/forward-auth`, {
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'd\u00e4sh.example.test',
        'x-forwarded-uri': '/',
        cookie: `countersign_forward_auth=${cookie}`,
      },
    });
    expect(raw.status).toBe(400);
  });

  it('refuses a request whose X-Forwarded headers are missing or malformed, and says which', async () => {
    const { relay, cookie } = await signedInStaff();
    const cases: [Record<string, string>, string][] = [
      [{ 'x-forwarded-proto': 'gopher' }, 'X-Forwarded-Proto'],
      [{ 'x-forwarded-method': 'GET POST' }, 'X-Forwarded-Method'],
      [{ 'x-forwarded-uri': 'https://admin.example.test/' }, 'X-Forwarded-Uri'],
      [{ 'x-forwarded-uri': '/a b' }, 'X-Forwarded-Uri'],
      [{ 'x-forwarded-uri': `/${'a'.repeat(9000)}` }, 'X-Forwarded-Uri'],
    ];
    for (const [headers, named] of cases) {
      const answer = await relay.check({ host: 'dash.example.test', cookie, headers });
      expect(answer.status, named).toBe(400);
      const body = (await answer.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message).toContain(named);
    }
    const noHost = await fetch(`${relay.address}/api/v1/forward-auth`, {
      headers: {
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'https',
        'x-forwarded-uri': '/',
        host: 'dash.example.test',
        cookie: `countersign_forward_auth=${cookie}`,
      },
    });
    expect(noHost.status).toBe(400);
  });

  it('never sends a forged Remote-* header back: they are the relay’s own, for the signed-in person', async () => {
    const { relay, cookie } = await signedInStaff();
    const answer = await relay.check({
      host: 'dash.example.test',
      cookie,
      headers: { 'remote-user': 'admin@example.test', 'remote-groups': 'admins' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('remote-user')).toBe('mallory@example.test');
    expect(answer.headers.get('remote-groups')).toBe('staff');
  });

  it('turns a flood of made-up cookies into 401s without writing anything', async () => {
    const { relay } = await signedInStaff();
    const store = relay.running.relay.store;
    const before = await store.db.selectFrom('forward_auth_handles').selectAll().execute();
    const made = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(44, 'A')}`);
    const answers = await Promise.all(made.map((cookie) => relay.check({ host: 'dash.example.test', cookie })));
    expect(answers.every((answer) => answer.status === 401)).toBe(true);
    for (const junk of ['', 'x', 'a;b', '%00', 'A'.repeat(5000)]) {
      expect((await relay.check({ host: 'dash.example.test', headers: { cookie: `countersign_forward_auth=${junk}` } })).status).toBe(401);
    }
    expect(await store.db.selectFrom('forward_auth_handles').selectAll().execute()).toEqual(before);
  });
});

describe('forward-auth rules need the admin token and valid input', () => {
  it('refuses calls without the admin token, and a bad body changes nothing', async () => {
    const relay = await startForwardAuthRelay();
    const url = `${relay.address}/api/v1/admin/forward-auth`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const put = (body: string, token = relay.adminToken) =>
      fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    expect((await put(JSON.stringify({ rules: [{ host: 'dash.example.test', policy: 'session' }] }), 'nope-nope-nope-nope')).status).toBe(
      401,
    );
    expect((await put(JSON.stringify({ rules: [{ host: 'dash.example.test', policy: 'session' }] }))).status).toBe(200);
    for (const body of [
      '{',
      '[]',
      JSON.stringify({ rules: [{ host: 'evil.net', policy: 'session' }] }),
      JSON.stringify({
        rules: [
          { host: 'a.example.test', policy: 'session' },
          { host: 'A.EXAMPLE.TEST.', policy: 'approval' },
        ],
      }),
      JSON.stringify({ rules: [{ host: 'a.example.test', policy: 'approval', maxAgeSeconds: -1 }] }),
      JSON.stringify({ rules: [{ host: 'a.example.test', policy: 'session', groups: ['x'.repeat(65)] }] }),
      JSON.stringify({ rules: [{ host: 'x'.repeat(20_000) }] }),
    ]) {
      const answer = await put(body);
      expect([400, 413], body.slice(0, 80)).toContain(answer.status);
    }
    const field = await put(JSON.stringify({ rules: [{ host: 'evil.net', policy: 'session' }] }));
    expect(((await field.json()) as { error: { field: string } }).error.field).toBe('rules.0.host');
    const now = await fetch(url, { headers: { authorization: `Bearer ${relay.adminToken}` } });
    expect(await now.json()).toEqual({ rules: [{ host: 'dash.example.test', groups: [], policy: 'session' }] });
  });
});
