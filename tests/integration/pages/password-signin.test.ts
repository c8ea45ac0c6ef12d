import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordWork } from '../../../relay-server/security/passwords.ts';
import { pageBrowser, ORIGIN, pageRelay, testIdText } from './page-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
beforeAll(async () => {
  env = await pageRelay();
});
afterAll(async () => {
  await env.close();
});

const sessionCookieOf = (response: Response) => response.headers.getSetCookie().find((cookie) => cookie.startsWith('countersign_session='));

async function pairDevice(upn: string, name = 'Test laptop') {
  const user = (await env.relay.store.users.byUpn(upn))!;
  const offer = await env.relay.store.pairings.create(user.id, env.clock.now(), 60_000);
  const redeemed = await env.relay.store.pairings.redeem(
    offer.token,
    { name, publicKey: 'not-used-in-these-tests', connectPublicKey: 'not-used-either' },
    env.clock.now(),
  );
  if (!redeemed.ok) throw new Error(redeemed.code);
  return redeemed.device;
}

describe('the password page', () => {
  it('refuses an unfamiliar browser (429 with Retry-After, saying what works) when every password check slot and the unfamiliar line are taken', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.get('/signin/password?app=demo&upn=alice%40demo.test');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fillers = Array.from({ length: passwordWork.concurrency + passwordWork.maxWaiting }, () => passwordWork.run(() => held));
    try {
      const response = await browser.post('/signin/password', { upn: 'alice@demo.test', password: 'countersign-demo', app: 'demo' });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(browser.lastHtml).toContain('from unknown places are paused');
      expect(sessionCookieOf(response)).toBeUndefined();
    } finally {
      release();
      await Promise.all(fillers);
    }
  });

  it('renders a form with a CSRF token and sets the CSRF cookie', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.get('/signin/password?app=demo&upn=alice%40demo.test');
    expect(response.status).toBe(200);
    const csrfCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('countersign_csrf='))!;
    expect(csrfCookie).toMatch(/HttpOnly/);
    expect(csrfCookie).toMatch(/SameSite=Strict/);
    expect(browser.csrfToken()).toBe(browser.cookies.get('countersign_csrf'));
    expect(browser.lastHtml).toContain('value="alice@demo.test"');
  });

  it('signs in with a correct password: session cookie HttpOnly, SameSite=Lax, and /me shows the user', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/me');
    const cookie = sessionCookieOf(response)!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const me = await browser.get('/me');
    expect(testIdText(await me.text(), 'signed-in-as')).toBe('alice@demo.test');
  });

  it('marks the session cookie Secure when the relay origin is https', async () => {
    const secure = await pageRelay({ RELAY_ORIGIN: 'https://signin.example.com' });
    try {
      const browser = pageBrowser(secure.relay, 'https://signin.example.com');
      await browser.get('/signin/password?app=demo');
      expect(browser.cookies.has('__Host-countersign_csrf')).toBe(true);
      const response = await browser.post('/signin/password', { upn: 'alice@demo.test', password: 'countersign-demo', app: 'demo' });
      expect(response.status).toBe(303);
      // On https the session cookie takes the `__Host-` prefix (host-only-session-cookie.test.ts).
      expect(response.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-countersign_session='))).toMatch(/Secure/);
      // Signing in ends the pre-session token (pages/csrf.ts): the session has its own.
      expect(browser.cookies.has('__Host-countersign_csrf')).toBe(false);
    } finally {
      await secure.close();
    }
  });

  it('refuses a wrong password with one message and changes nothing', async () => {
    const before = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.signInWithPassword('bob@demo.test', 'not-the-password');
    expect(response.status).toBe(401);
    expect(sessionCookieOf(response)).toBeUndefined();
    expect(browser.lastHtml).toContain('The username or password is incorrect.');
    const after = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    expect(after).toEqual(before);
    expect((await browser.get('/me')).status).toBe(302);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.signInWithPassword('nobody@demo.test', 'countersign-demo');
    expect(response.status).toBe(401);
    expect(browser.lastHtml).toContain('The username or password is incorrect.');
  });

  it('logs password sign-ins, approved and denied, in the sign-in log', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.signInWithPassword('bob@demo.test', 'wrong-again');
    await browser.signInWithPassword('bob@demo.test', 'countersign-demo');
    const rows = await env.relay.store.signins.list({ upn: 'bob@demo.test', limit: 10 });
    const statuses = rows.filter((row) => row.method === 'password').map((row) => row.status);
    expect(statuses).toContain('approved');
    expect(statuses).toContain('denied');
    const approved = rows.find((row) => row.status === 'approved')!;
    expect(approved).toMatchObject({
      app_id: 'demo',
      app_name: 'Countersign Demo',
      browser_token_hash: null,
      expires_at: approved.created_at,
    });
  });

  it('accepts a Temporary Access Pass in the password field', async () => {
    const user = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const tap = await env.relay.store.taps.issue(user.id, 60 * 60_000, true, env.clock.now());
    env.clock.advance(1000);
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.signInWithPassword('bob@demo.test', tap.code);
    expect(response.status).toBe(303);
    expect(testIdText(await (await browser.get('/me')).text(), 'signed-in-method')).toBe('Temporary Access Pass');
    const [latest] = await env.relay.store.signins.list({ upn: 'bob@demo.test', limit: 1 });
    expect(latest).toMatchObject({ method: 'tap', status: 'approved' });

    const again = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', tap.code);
    expect(again.status).toBe(401);
  });

  it('accepts a multi-use Temporary Access Pass again and again until it expires', async () => {
    const user = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const tap = await env.relay.store.taps.issue(user.id, 10 * 60_000, false, env.clock.now());
    for (let i = 0; i < 3; i++) {
      const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', tap.code);
      expect(response.status).toBe(303);
    }
    env.clock.advance(10 * 60_000);
    const late = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', tap.code);
    expect(late.status).toBe(401);
  });

  it("does not let one user's pass sign in another user", async () => {
    const bob = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const tap = await env.relay.store.taps.issue(bob.id, 60 * 60_000, false, env.clock.now());
    const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', tap.code);
    expect(response.status).toBe(401);
  });

  it('refuses an expired Temporary Access Pass', async () => {
    const user = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const tap = await env.relay.store.taps.issue(user.id, 10 * 60_000, false, env.clock.now() - 11 * 60_000);
    const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', tap.code);
    expect(response.status).toBe(401);
  });

  it('asks for an approval after the password when the policy wants a push as second factor', async () => {
    const policy = await env.relay.store.policy.get();
    await env.relay.store.policy.put({ ...policy, mode: 'push' }, env.clock.now());
    const device = await pairDevice('alice@demo.test');
    try {
      const browser = pageBrowser(env.relay, ORIGIN);
      const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
      expect(response.status).toBe(200);
      expect(sessionCookieOf(response)).toBeUndefined();
      const html = browser.lastHtml;
      const requestId = /data-request-id="([^"]+)"/.exec(html)?.[1];
      const number = testIdText(html, 'match-number');
      expect(number).toMatch(/^\d{2}$/);
      expect(html).toMatch(/data-browser-token="[A-Za-z0-9_-]{22}"/);
      expect(html).toContain('data-state="pending"');
      const row = (await env.relay.store.signins.byId(requestId!))!;
      expect(row).toMatchObject({ method: 'push_after_password', status: 'pending', number });
      expect((await browser.get('/me')).status).toBe(302);
    } finally {
      await env.relay.store.devices.remove(device.id);
      await env.relay.store.policy.put(policy, env.clock.now());
    }
  });

  it('signs in with the password alone when the push-after-password user has no authenticator yet', async () => {
    const policy = await env.relay.store.policy.get();
    await env.relay.store.policy.put({ ...policy, mode: 'push' }, env.clock.now());
    try {
      const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', 'countersign-demo');
      expect(response.status).toBe(303);
    } finally {
      await env.relay.store.policy.put(policy, env.clock.now());
    }
  });

  it('does not fall back to the password alone when the push is refused (blocked user)', async () => {
    const policy = await env.relay.store.policy.get();
    await env.relay.store.policy.put({ ...policy, mode: 'push' }, env.clock.now());
    const user = (await env.relay.store.users.byUpn('alice@demo.test'))!;
    const device = await pairDevice('alice@demo.test');
    await env.relay.store.users.setPushBlocked(user.id, true);
    try {
      const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', 'countersign-demo');
      expect(response.status).toBe(429);
      expect(sessionCookieOf(response)).toBeUndefined();
    } finally {
      await env.relay.store.users.setPushBlocked(user.id, false);
      await env.relay.store.devices.remove(device.id);
      await env.relay.store.policy.put(policy, env.clock.now());
    }
  });
});

describe('CSRF protection', () => {
  it('rejects a post without a token', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.get('/signin/password?app=demo');
    const response = await browser.post('/signin/password', { upn: 'alice@demo.test', password: 'countersign-demo' }, { csrf: null });
    expect(response.status).toBe(403);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('rejects a token that does not match the cookie', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.get('/signin/password?app=demo');
    const response = await browser.post(
      '/signin/password',
      { upn: 'alice@demo.test', password: 'countersign-demo' },
      { csrf: 'AAAAAAAAAAAAAAAAAAAAAA' },
    );
    expect(response.status).toBe(403);
  });

  it('rejects a post without the cookie, even with a token from elsewhere', async () => {
    const other = pageBrowser(env.relay, ORIGIN);
    await other.get('/signin/password?app=demo');
    const fresh = pageBrowser(env.relay, ORIGIN);
    const response = await fresh.post(
      '/signin/password',
      { upn: 'alice@demo.test', password: 'countersign-demo' },
      { csrf: other.csrfToken() },
    );
    expect(response.status).toBe(403);
  });

  it('rejects a post from a foreign Origin, even with the right token', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.get('/signin/password?app=demo');
    const csrf = browser.csrfToken();
    const response = await browser.post(
      '/signin/password',
      { upn: 'alice@demo.test', password: 'countersign-demo' },
      { origin: 'https://evil.example', csrf },
    );
    expect(response.status).toBe(403);
    expect(sessionCookieOf(response)).toBeUndefined();
    const nullOrigin = await browser.post(
      '/signin/password',
      { upn: 'alice@demo.test', password: 'countersign-demo' },
      { origin: 'null', csrf },
    );
    expect(nullOrigin.status).toBe(403);
  });

  it('accepts a post without an Origin header when the token matches', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.get('/signin/password?app=demo');
    const response = await browser.post('/signin/password', { upn: 'alice@demo.test', password: 'countersign-demo' }, { origin: null });
    expect(response.status).toBe(303);
  });
});
