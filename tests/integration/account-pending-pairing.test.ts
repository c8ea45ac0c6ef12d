import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePairingLink } from '../../protocol/pairing-link.ts';
import { ORIGIN, pageBrowser, pageRelay } from './pages/page-browser.ts';
import type { CookieBrowser } from '../../testing/cookie-browser.ts';

/**
 * Security info's forms redirect to GET pages (post/redirect/get). The pairing link made by the
 * form is shown once the browser is back on /security-info, and only to the session that made
 * it, while it is unused and unexpired; its token is never in a URL.
 */
let env: Awaited<ReturnType<typeof pageRelay>>;
beforeAll(async () => {
  env = await pageRelay();
});
afterAll(async () => {
  await env.close();
});

const linkOf = (html: string) => /<input[^>]*data-testid="pairing-link"[^>]*value="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');

async function signedIn(upn = 'alice@demo.test', password = 'countersign-demo') {
  const browser = pageBrowser(env.relay, ORIGIN);
  expect((await browser.signInWithPassword(upn, password)).status).toBe(303);
  await browser.get('/security-info');
  return browser;
}

async function offersOf(upn: string): Promise<number> {
  const user = (await env.relay.store.users.byUpn(upn))!;
  const rows = await env.relay.store.db.selectFrom('pairing_offers').select('token_hash').where('user_id', '=', user.id).execute();
  return rows.length;
}

/** Posts "Add authenticator" and returns the link the GET page then shows. */
async function addAuthenticator(browser: CookieBrowser): Promise<string> {
  const answer = await browser.post('/security-info/pairings', {});
  expect(answer.status).toBe(303);
  const location = answer.headers.get('location')!;
  expect(location).toBe('/security-info#pairing');
  const link = linkOf(await (await browser.get('/security-info')).text());
  expect(link).toBeDefined();
  expect(location).not.toContain(parsePairingLink(link!)!.token);
  return link!;
}

describe('the pairing link after "Add authenticator"', () => {
  it('is the same link on every reload, and reloading makes no new offer', async () => {
    const browser = await signedIn('bob@demo.test');
    const before = await offersOf('bob@demo.test');
    const link = await addAuthenticator(browser);
    expect(await offersOf('bob@demo.test')).toBe(before + 1);
    for (let reload = 0; reload < 2; reload += 1) {
      expect(linkOf(await (await browser.get('/security-info')).text())).toBe(link);
    }
    expect(await offersOf('bob@demo.test')).toBe(before + 1);
  });

  it('is gone once a device used it, and the cookie that carried it is cleared', async () => {
    const browser = await signedIn();
    const link = await addAuthenticator(browser);
    const device = { name: 'Laptop', publicKey: 'not-used-here', connectPublicKey: 'not-used-either' };
    const redeemed = await env.relay.store.pairings.redeem(parsePairingLink(link)!.token, device, env.clock.now());
    expect(redeemed.ok).toBe(true);
    const page = await browser.get('/security-info');
    expect(linkOf(await page.text())).toBeUndefined();
    expect(page.headers.getSetCookie().join()).toMatch(/countersign_pairing=;.*Max-Age=0/i);
    expect(browser.cookies.has('countersign_pairing')).toBe(false);
    if (redeemed.ok) await env.relay.store.devices.remove(redeemed.device.id);
  });

  it('is gone once it expired', async () => {
    const browser = await signedIn();
    await addAuthenticator(browser);
    env.clock.advance(10 * 60_000);
    expect(linkOf(await (await browser.get('/security-info')).text())).toBeUndefined();
  });

  it('is not shown to another session, even of the same user, nor to another user holding the cookie', async () => {
    const first = await signedIn();
    await addAuthenticator(first);
    const planted = first.cookies.get('countersign_pairing')!;
    for (const upn of ['alice@demo.test', 'bob@demo.test']) {
      const other = await signedIn(upn);
      other.cookies.set('countersign_pairing', planted);
      expect(linkOf(await (await other.get('/security-info')).text())).toBeUndefined();
    }
  });

  it('ignores a cookie that is not a token', async () => {
    const browser = await signedIn();
    browser.cookies.set('countersign_pairing', 'not-a-token');
    const page = await browser.get('/security-info');
    expect(page.status).toBe(200);
    expect(linkOf(await page.text())).toBeUndefined();
  });
});

describe('signing out', () => {
  it('lands on a GET page that says so, with a way to sign in again', async () => {
    const browser = await signedIn();
    await browser.get('/me');
    const out = await browser.post('/signout', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/signed-out');
    const page = await browser.get('/signed-out');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('You signed out.');
    expect(html).toContain('href="/signin"');
  });

  it('sends someone still signed in to their account instead', async () => {
    const browser = await signedIn();
    const page = await browser.get('/signed-out');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/me');
  });
});
