import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageBrowser, ORIGIN, pageRelay, testIdText } from './page-browser.ts';

/**
 * docs/protocol.md section 10: the relay's own session cookie stays host-only, `__Host-` on https,
 * so no protected app (nor a sibling subdomain) ever receives it or can plant one.
 */
const HTTPS_ORIGIN = 'https://signin.example.com';
const PREFIXED = '__Host-countersign_session';
const PLAIN = 'countersign_session';

const setCookieNamed = (response: Response, name: string) =>
  response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
const valueOf = (setCookie: string) => setCookie.split(';')[0]!.split('=').slice(1).join('=');

describe('the session cookie on an https relay', () => {
  let env: Awaited<ReturnType<typeof pageRelay>>;
  beforeAll(async () => {
    env = await pageRelay({ RELAY_ORIGIN: HTTPS_ORIGIN });
  });
  afterAll(async () => {
    await env.close();
  });

  /** Asks /me with exactly this Cookie header; the UPN it shows, or undefined when it sends to sign-in. */
  async function signedInAs(cookie: string): Promise<string | undefined> {
    const me = await env.relay.app.request(`${HTTPS_ORIGIN}/me`, { headers: { cookie } });
    if (me.status === 302) return undefined;
    expect(me.status).toBe(200);
    return testIdText(await me.text(), 'signed-in-as');
  }

  it('is __Host-countersign_session: Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    const browser = pageBrowser(env.relay, HTTPS_ORIGIN);
    const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect(response.status).toBe(303);
    expect(setCookieNamed(response, PLAIN)).toBeUndefined();
    const cookie = setCookieNamed(response, PREFIXED)!;
    expect(cookie).toBeDefined();
    const attributes = cookie
      .split(';')
      .slice(1)
      .map((attribute) => attribute.trim().split('=')[0]!.toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['path', 'secure', 'httponly', 'samesite']));
    expect(attributes).not.toContain('domain');
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
    expect(await signedInAs(`${PREFIXED}=${valueOf(cookie)}`)).toBe('alice@demo.test');
  });

  it('ignores an unprefixed countersign_session, even one carrying a live session value', async () => {
    const browser = pageBrowser(env.relay, HTTPS_ORIGIN);
    const cookie = setCookieNamed(await browser.signInWithPassword('alice@demo.test', 'countersign-demo'), PREFIXED)!;
    const value = valueOf(cookie);
    // What a sibling subdomain could plant with Domain=example.com: never a session here.
    expect(await signedInAs(`${PLAIN}=${value}`)).toBeUndefined();
    // Nor does it take over when it comes first beside another (signed-out) cookie.
    expect(await signedInAs(`${PLAIN}=${value}; __Host-countersign_csrf=x`)).toBeUndefined();
  });

  it('does not fix a planted unprefixed session: signing in starts a new one and leaves the planted one alone', async () => {
    const attacker = pageBrowser(env.relay, HTTPS_ORIGIN);
    const planted = valueOf(setCookieNamed(await attacker.signInWithPassword('bob@demo.test', 'countersign-demo'), PREFIXED)!);
    const victim = pageBrowser(env.relay, HTTPS_ORIGIN);
    victim.cookies.set(PLAIN, planted);
    expect((await victim.get('/me')).status).toBe(302);
    const response = await victim.signInWithPassword('alice@demo.test', 'countersign-demo');
    const fresh = valueOf(setCookieNamed(response, PREFIXED)!);
    expect(fresh).not.toBe(planted);
    expect(await signedInAs(`${PREFIXED}=${fresh}`)).toBe('alice@demo.test');
    // The attacker's own session is still theirs: the victim's sign-in did not end or adopt it.
    expect(await signedInAs(`${PREFIXED}=${planted}`)).toBe('bob@demo.test');
  });

  it('signs out by ending the session and clearing the __Host- cookie with Secure (or the browser would keep it)', async () => {
    const browser = pageBrowser(env.relay, HTTPS_ORIGIN);
    const value = valueOf(setCookieNamed(await browser.signInWithPassword('alice@demo.test', 'countersign-demo'), PREFIXED)!);
    await browser.get('/me');
    const response = await browser.post('/signout', {});
    expect(response.status).toBe(303);
    const cleared = setCookieNamed(response, PREFIXED)!;
    expect(cleared).toMatch(/Max-Age=0/);
    expect(cleared).toMatch(/; Secure(;|$)/);
    expect(cleared).toMatch(/; Path=\/(;|$)/);
    expect(cleared).not.toMatch(/Domain=/i);
    expect(browser.cookies.has(PREFIXED)).toBe(false);
    expect(await signedInAs(`${PREFIXED}=${value}`)).toBeUndefined();
  });
});

describe('the session cookie on a plain-http (loopback dev) relay', () => {
  let env: Awaited<ReturnType<typeof pageRelay>>;
  beforeAll(async () => {
    env = await pageRelay();
  });
  afterAll(async () => {
    await env.close();
  });

  it('keeps the name countersign_session, without Secure, and it signs in', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect(setCookieNamed(response, PREFIXED)).toBeUndefined();
    const cookie = setCookieNamed(response, PLAIN)!;
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).not.toMatch(/Domain=/i);
    const me = await env.relay.app.request(`${ORIGIN}/me`, { headers: { cookie: `${PLAIN}=${valueOf(cookie)}` } });
    expect(testIdText(await me.text(), 'signed-in-as')).toBe('alice@demo.test');
    // The https name means nothing here: one name per origin, read and written alike.
    const prefixed = await env.relay.app.request(`${ORIGIN}/me`, { headers: { cookie: `${PREFIXED}=${valueOf(cookie)}` } });
    expect(prefixed.status).toBe(302);
  });
});
