import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePairingLink } from '../../../protocol/pairing-link.ts';
import { hashPassword } from '../../../relay-server/security/passwords.ts';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './page-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
beforeAll(async () => {
  env = await pageRelay();
});
afterAll(async () => {
  await env.close();
});

async function pairDevice(upn: string, name: string) {
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

async function signedIn(upn = 'alice@demo.test', password = 'countersign-demo') {
  const browser = pageBrowser(env.relay, ORIGIN);
  expect((await browser.signInWithPassword(upn, password)).status).toBe(303);
  return browser;
}

const deviceItems = (html: string) => [...html.matchAll(/<li class="device" data-testid="device"[\s\S]*?<\/li>/g)].map((match) => match[0]);

describe('/security-info', () => {
  it('requires a session', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    const page = await browser.get('/security-info');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/signin');
    expect((await browser.get('/security-info/devices.json')).status).toBe(401);
    await browser.get('/signin/password');
    const post = await browser.post('/security-info/pairings', {});
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/signin');
  });

  it('brings a signed-out visitor back to the security info page they asked for once they have signed in', async () => {
    // The extension's "Add again" opens /security-info in a browser that may not be signed in there.
    const browser = pageBrowser(env.relay, ORIGIN);
    const asked = await browser.get('/security-info?add=authenticator');
    expect(asked.status).toBe(302);
    expect(asked.headers.get('location')).toBe('/signin');
    const signin = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect(signin.headers.get('location')).toBe('/me');
    const landed = await browser.get('/me');
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/security-info?add=authenticator');
    expect((await browser.get('/security-info?add=authenticator')).status).toBe(200);
    // Taken once: the next visit to /me stays there.
    expect((await browser.get('/me')).status).toBe(200);

    // A form post is not a place to come back to, nor is anything off the relay.
    const other = pageBrowser(env.relay, ORIGIN);
    await other.get('/signin/password');
    expect((await other.post('/security-info/pairings', {})).status).toBe(303);
    expect((await other.get('/security-info//evil.test')).status).toBe(404);
    await other.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect((await other.get('/me')).status).toBe(200);
  });

  it("lists the user's authenticators with name, added and last used", async () => {
    const device = await pairDevice('alice@demo.test', 'Work laptop');
    await env.relay.store.devices.touch(device.id, env.clock.now() - 3 * 3_600_000);
    env.clock.advance(2 * 86_400_000);
    try {
      const browser = await signedIn();
      const html = await (await browser.get('/security-info')).text();
      expect(html).toContain('data-testid="device-list"');
      const items = deviceItems(html);
      expect(items).toHaveLength(1);
      expect(items[0]).toContain('Work laptop');
      expect(items[0]).toContain('Added <time');
      expect(items[0]).toContain('2 days ago');
      expect(items[0]).toContain('Last used');
      expect(items[0]).toMatch(/action="\/security-info\/devices\/[^"]+\/remove"/);
      const json = (await (await browser.get('/security-info/devices.json')).json()) as {
        devices: { id: string; name: string; added: string }[];
      };
      expect(json.devices).toEqual([expect.objectContaining({ id: device.id, name: 'Work laptop', added: '2 days ago' })]);
    } finally {
      await env.relay.store.devices.remove(device.id);
    }
  });

  it('shows the pairing QR code, link and expiry after "Add authenticator", on the GET page the form redirects to', async () => {
    const browser = await signedIn();
    const page = await (await browser.get('/security-info')).text();
    expect(page).toContain('data-testid="add-authenticator"');
    expect(page).not.toContain('data-testid="pairing-qr"');
    const response = await browser.post('/security-info/pairings', {});
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/security-info#pairing');
    // The token rides in an HttpOnly cookie limited to /security-info, never in the address.
    const cookie = response.headers.getSetCookie().find((header) => header.startsWith('countersign_pairing='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\/security-info/);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const shown = await browser.get('/security-info');
    expect(shown.headers.get('cache-control')).toBe('no-store');
    const html = browser.lastHtml;
    const qr = /<img[^>]*data-testid="pairing-qr"[^>]*src="([^"]+)"/.exec(html)?.[1];
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qr!.split(',')[1]!, 'base64').toString('utf8')).toMatch(/^<svg/);
    const link = /<input[^>]*data-testid="pairing-link"[^>]*value="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    expect(html).toMatch(/<input[^>]*readonly[^>]*data-testid="pairing-link"/);
    const parsed = parsePairingLink(link!);
    expect(parsed).toMatchObject({ relayOrigin: ORIGIN, upn: 'alice@demo.test' });
    expect(await env.relay.store.pairings.find(parsed!.token)).toMatchObject({ used_at: null, expires_at: env.clock.now() + 10 * 60_000 });
    expect(testIdText(html, 'pairing-expires')).toMatch(/^Expires in 10 minutes/);
  });

  it('refuses "Add authenticator" without the CSRF token', async () => {
    const browser = await signedIn();
    await browser.get('/security-info');
    const response = await browser.post('/security-info/pairings', {}, { csrf: null });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie().join()).not.toContain('countersign_pairing');
    expect(await response.text()).not.toContain('data-testid="pairing-link"');
  });

  it('removes your own authenticator, which gets revoked', async () => {
    const device = await pairDevice('alice@demo.test', 'Old phone');
    const browser = await signedIn();
    await browser.get('/security-info');
    const response = await browser.post(`/security-info/devices/${device.id}/remove`, {});
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/security-info?removed=1');
    expect(await env.relay.store.devices.byId(device.id)).toBeUndefined();
    const after = await (await browser.get('/security-info?removed=1')).text();
    expect(deviceItems(after)).toHaveLength(0);
    expect(after).toContain('The authenticator was removed.');
    expect(env.sentToDevices).toContainEqual({ deviceId: device.id, message: { type: 'revoked', deviceId: device.id } });
  });

  it("can't remove another user's authenticator", async () => {
    const bobs = await pairDevice('bob@demo.test', "Bob's laptop");
    try {
      const browser = await signedIn('alice@demo.test');
      await browser.get('/security-info');
      const response = await browser.post(`/security-info/devices/${bobs.id}/remove`, {});
      expect(response.status).toBe(404);
      expect(await env.relay.store.devices.byId(bobs.id)).toBeDefined();
    } finally {
      await env.relay.store.devices.remove(bobs.id);
    }
  });

  it('refuses to remove a device from a foreign origin', async () => {
    const device = await pairDevice('alice@demo.test', 'Desk');
    try {
      const browser = await signedIn();
      await browser.get('/security-info');
      const response = await browser.post(`/security-info/devices/${device.id}/remove`, {}, { origin: 'https://evil.example' });
      expect(response.status).toBe(403);
      expect(await env.relay.store.devices.byId(device.id)).toBeDefined();
    } finally {
      await env.relay.store.devices.remove(device.id);
    }
  });
});

describe('escaping', () => {
  it('escapes user content on every page that shows it', async () => {
    const evil = '<script>alert(1)</script>"&\'';
    await env.relay.store.users.create(
      { upn: 'mallory@demo.test', displayName: evil, passwordHash: await hashPassword('mallory-password'), groups: [] },
      env.clock.now(),
    );
    const device = await pairDevice('mallory@demo.test', '<img src=x onerror=alert(2)>');
    try {
      const browser = await signedIn('mallory@demo.test', 'mallory-password');
      for (const page of ['/me', '/security-info']) {
        const html = await (await browser.get(page)).text();
        expect(html).not.toContain('<script>alert(1)');
        expect(html).not.toContain('<img src=x');
      }
      const me = await (await browser.get('/me')).text();
      expect(me).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;');
      const info = await (await browser.get('/security-info')).text();
      expect(info).toContain('&lt;img src=x onerror=alert(2)&gt;');
      const upnEcho = await (await browser.get('/signin?app=demo&upn=%22%3E%3Cscript%3Ex%3C%2Fscript%3E')).text();
      expect(upnEcho).not.toContain('"><script>x');
    } finally {
      await env.relay.store.devices.remove(device.id);
    }
  });
});
