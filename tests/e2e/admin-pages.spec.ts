import { expect, test, type Browser, type Page } from '@playwright/test';
import { AdminClient, SigninClient } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

// Issue 12: the admin pages as an administrator uses them, in real Chromium against a real relay.
// Alice has two authenticators: her phone (which reported a Payroll sign-in, so she is at risk)
// and an old tablet, which an administrator revokes.

let relay: RunningRelay;
let admin: AdminClient;
let phone: VirtualDevice;
let tablet: VirtualDevice;
let aliceId: string;
let bobId: string;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  admin = new AdminClient(relay.origin, relay.adminToken);
  phone = await VirtualDevice.open({ deviceName: "Alice's phone" });
  tablet = await VirtualDevice.open({ deviceName: 'Old tablet' });
  for (const device of [phone, tablet]) {
    await device.pair((await admin.createPairing('alice@demo.test')).link);
    await device.connect(relay.origin);
  }
  const signins = new SigninClient(relay.origin);
  const approved = await signins.createSignin({ upn: 'alice@demo.test', app: 'wiki' });
  await phone.waitForChallenge((challenge) => challenge.requestId === approved.requestId);
  await phone.approve(approved.requestId, approved.number);
  await expect(signins.createSignin({ upn: 'bob@demo.test', password: 'not-bobs-password' })).rejects.toThrow(/invalid_credentials/);
  const reported = await signins.createSignin({ upn: 'alice@demo.test', app: 'payroll' });
  await phone.waitForChallenge((challenge) => challenge.requestId === reported.requestId);
  await phone.report(reported.requestId);
  aliceId = (await admin.getUser('alice@demo.test')).userId;
  bobId = (await admin.getUser('bob@demo.test')).userId;
});

test.afterAll(async () => {
  await phone?.close();
  await tablet?.close();
  await relay?.stop();
});

/** Signs in on the password page; demo mode lets a password-only admin onto the admin pages. */
async function signIn(page: Page, upn = 'admin@demo.test', password = 'countersign-admin'): Promise<void> {
  await page.goto(`${relay.origin}/signin/password?upn=${encodeURIComponent(upn)}`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

async function adminPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page);
  return page;
}

/** Every form post the page makes from now on. */
function recordPosts(page: Page): string[] {
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  return posts;
}

test.describe('the admin pages', () => {
  test('say which sign-in put a user at risk: app, address and time', async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`${relay.origin}/admin/users/${aliceId}`);
    const details = page.getByTestId('risk-details');
    await expect(details).toContainText('Payroll');
    await expect(details).toContainText('127.0.0.1');
    // The time in the reader's locale and zone, as everywhere (headless Chromium reads en-US): "on Dec 7, 2026, 05:08 AM UTC".
    await expect(details).toHaveText(/on [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} (AM|PM) \S+\./);
    await expect(details.locator('time[datetime]')).toHaveCount(1);
  });

  test('ask before revoking an authenticator: Esc keeps it, Revoke removes it and the reload posts nothing', async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`${relay.origin}/admin/users/${aliceId}`);
    const devices = page.getByTestId('device');
    await expect(devices).toHaveCount(2);

    const tabletId = tablet.accounts()[0]!.deviceId;
    await page.getByRole('button', { name: 'Revoke Old tablet' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Revoke "Old tablet"\?/ });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(page).toHaveURL(`${relay.origin}/admin/users/${aliceId}`);
    expect((await admin.getUser('alice@demo.test')).devices).toHaveLength(2);

    await page.getByRole('button', { name: 'Revoke Old tablet' }).click();
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Revoke' })).toBeFocused();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${relay.origin}/admin/users/${aliceId}?done=revoked`);
    await expect(page.getByTestId('user-notice')).toHaveText('Authenticator revoked; it has been told to forget the account.');
    await expect(devices).toHaveCount(1);
    await expect(devices).toContainText("Alice's phone");
    await tablet.waitForRevoked(tabletId);
    expect((await admin.getUser('alice@demo.test')).devices.map((device) => device.name)).toEqual(["Alice's phone"]);

    const posts = recordPosts(page);
    await page.reload();
    await expect(page.getByTestId('user-notice')).toBeVisible();
    expect(posts).toEqual([]);
  });

  test('show a new Temporary Access Pass once, after a redirect that keeps it out of the URL, with a Copy button', async ({ browser }) => {
    const page = await adminPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(`${relay.origin}/admin/users/${bobId}`);
    await page.getByLabel(/^Valid for/).fill('30');
    await page.getByRole('button', { name: 'Issue pass' }).click();
    await page.waitForURL(`${relay.origin}/admin/users/${bobId}?done=tap`);
    const code = (await page.getByTestId('tap-code').textContent())!.trim();
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(page.url()).not.toContain(code);

    await page.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByTestId('tap-copied')).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);

    const posts = recordPosts(page);
    await page.reload();
    await expect(page.getByTestId('tap-code')).toHaveCount(0);
    await expect(page.getByTestId('user-notice')).toContainText('shown only once');
    expect(posts).toEqual([]);

    // The pass shown is the real one: Bob signs in with it.
    const bob = await (await browser.newContext()).newPage();
    await signIn(bob, 'bob@demo.test', code);
    await expect(bob).toHaveURL(/\/security-info\?add=authenticator$/);
  });

  test('show the sign-in log in words, with device names', async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`${relay.origin}/admin/signins`);
    const log = page.getByTestId('signin-log');
    const bobRow = page.getByTestId('log-row').filter({ hasText: 'bob@demo.test' }).filter({ hasText: 'Wrong password' });
    await expect(bobRow).toHaveCount(1);
    await expect(bobRow.getByTestId('log-outcome')).toHaveText(/^Denied\s*Wrong password$/);
    const reported = page.getByTestId('log-row').filter({ hasText: 'Payroll' });
    await expect(reported.getByTestId('log-outcome')).toHaveText('Reported: "It wasn\'t me"');
    await expect(reported.getByTestId('log-device')).toHaveText("Alice's phone");
    await expect(reported).toContainText('Phone sign-in (no password)');
    const text = (await log.textContent()) ?? '';
    for (const code of ['invalid_credentials', 'passwordless', 'push_after_password', 'wrong_number', 'reported'])
      expect(text).not.toContain(code);
    const { devices } = await admin.getUser('alice@demo.test');
    for (const device of devices) expect(text).not.toContain(device.deviceId);
  });

  test('clear the at-risk flag after a confirmation, with a 303 to the user page', async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`${relay.origin}/admin/users/${aliceId}`);
    await page.getByTestId('clear-risk').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL(`${relay.origin}/admin/users/${aliceId}?done=cleared`);
    await expect(page.getByTestId('risk-details')).toHaveCount(0);
    const signin = await new SigninClient(relay.origin).createSignin({ upn: 'alice@demo.test', app: 'wiki' });
    await phone.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
  });

  test('serve a favicon on every page', async ({ browser, request }) => {
    const ico = await request.get(`${relay.origin}/favicon.ico`);
    expect(ico.status()).toBe(200);
    expect(ico.headers()['content-type']).toBe('image/x-icon');
    const bytes = await ico.body();
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    expect(bytes.subarray(22, 26).toString('latin1')).toBe('\x89PNG');
    const svg = await request.get(`${relay.origin}/favicon.svg`);
    expect(svg.status()).toBe(200);
    expect(svg.headers()['content-type']).toBe('image/svg+xml');
    const page = await adminPage(browser);
    for (const href of await page.locator('link[rel=icon]').evaluateAll((links) => links.map((link) => (link as HTMLLinkElement).href))) {
      const answer = await request.get(href);
      expect(answer.status(), href).toBe(200);
      expect(answer.headers()['content-type'], href).toMatch(/^image\//);
    }
  });
});

test.describe('the admin pages refuse', () => {
  test('a signed-in user who is not an administrator: no page, and no post changes anything', async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, 'bob@demo.test', 'countersign-demo');
    for (const path of ['/admin/policy', '/admin/users', `/admin/users/${aliceId}`, '/admin/signins', '/admin/signins.csv']) {
      const answer = await page.goto(`${relay.origin}${path}`);
      expect(answer?.status(), path).toBe(403);
      await expect(page.getByTestId('forbidden')).toBeVisible();
    }
    await page.goto(`${relay.origin}/me`);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const before = { policy: await admin.getPolicy(), alice: await admin.getUser('alice@demo.test') };
    const phoneId = before.alice.devices[0]!.deviceId;
    const posts: [string, Record<string, string>][] = [
      [
        '/admin/policy',
        {
          enabled: '1',
          targets: 'all',
          mode: 'passwordless',
          matchMode: 'type',
          digits: '2',
          requestTtlSeconds: '60',
          maxPushesPer10Min: '5',
          lockoutAfterFailures: '5',
        },
      ],
      ['/admin/users', { upn: 'mallory@demo.test', displayName: 'Mallory' }],
      [`/admin/users/${aliceId}`, { displayName: 'Renamed', groups: 'admins', isAdmin: '1' }],
      [`/admin/users/${aliceId}/password`, { password: 'chosen-by-bob' }],
      [`/admin/users/${aliceId}/tap`, { lifetimeMinutes: '60', oneTime: '1' }],
      [`/admin/users/${aliceId}/sessions/revoke`, { confirm: '1' }],
      [`/admin/devices/${phoneId}/revoke`, { userId: aliceId }],
    ];
    for (const [path, form] of posts) {
      const answer = await page.request.post(`${relay.origin}${path}`, { form: { ...form, csrf }, maxRedirects: 0 });
      expect(answer.status(), path).toBe(403);
    }
    expect(await admin.getPolicy()).toEqual(before.policy);
    expect(await admin.getUser('alice@demo.test')).toEqual(before.alice);
    await expect(admin.getUser('mallory@demo.test')).rejects.toThrow(/not_found/);
  });

  test('an administrator’s post without the page’s CSRF token: 403, and nothing changes', async ({ browser }) => {
    const page = await adminPage(browser);
    const phoneId = (await admin.getUser('alice@demo.test')).devices[0]!.deviceId;
    for (const csrf of [undefined, 'A'.repeat(22)]) {
      const form: Record<string, string> = { userId: aliceId, ...(csrf ? { csrf } : {}) };
      const answer = await page.request.post(`${relay.origin}/admin/devices/${phoneId}/revoke`, { form, maxRedirects: 0 });
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toContain('nothing was changed');
    }
    expect((await admin.getUser('alice@demo.test')).devices.map((device) => device.deviceId)).toEqual([phoneId]);
  });

  test('a signed-out visitor: sent to sign in, then brought back to the admin page', async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${relay.origin}/admin/signins?upn=alice%40demo.test`);
    await expect(page).toHaveURL(/\/signin(\?|$)/);
    await page.goto(`${relay.origin}/signin/password?upn=admin%40demo.test`);
    await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${relay.origin}/admin/signins?upn=alice%40demo.test`);
    await expect(page.getByTestId('signin-log')).toBeVisible();
  });
});
