import { expect, test, type Browser, type Page } from '@playwright/test';
import { AdminClient, SigninClient } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

// Issue 12: every page fits a 390 px phone without sideways scrolling, and the sign-in log's
// columns all fit a 1280 px screen. The relay holds the long cells that break layouts: a long
// user name, device names, and log rows of every kind.

const PHONE = { width: 390, height: 844 };
const LONG_UPN = 'maximilian.example-longname@subsidiary.example-company.test';

let relay: RunningRelay;
let device: VirtualDevice;
let aliceId: string;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  const admin = new AdminClient(relay.origin, relay.adminToken);
  await admin.createUser({
    upn: LONG_UPN,
    displayName: 'Maximilian Example-Longname',
    groups: ['staff', 'contractors', 'finance-reviewers'],
  });
  device = await VirtualDevice.open({ deviceName: "Alice's work phone (Pixel 8 Pro)" });
  await device.pair((await admin.createPairing('alice@demo.test')).link);
  await device.connect(relay.origin);
  const signins = new SigninClient(relay.origin);
  for (const app of ['wiki', 'payroll', 'demo']) {
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
    await (app === 'payroll' ? device.deny(signin.requestId) : device.approve(signin.requestId, signin.number));
  }
  await expect(signins.createSignin({ upn: LONG_UPN, password: 'wrong-password' })).rejects.toThrow(/invalid_credentials|no_push_method/);
  aliceId = (await admin.getUser('alice@demo.test')).userId;
});

test.afterAll(async () => {
  await device?.close();
  await relay?.stop();
});

async function signedIn(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(`${relay.origin}/signin/password?upn=admin%40demo.test`);
  await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${relay.origin}/me`);
  return page;
}

async function expectNoSidewaysScroll(page: Page, path: string): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(widths.scroll, `${path} is ${widths.scroll} px wide in a ${widths.inner} px window`).toBeLessThanOrEqual(widths.inner);
}

test.describe('at 390 px wide', () => {
  test('the signed-out pages need no sideways scrolling', async ({ browser }) => {
    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    for (const path of ['/signin?app=demo', `/signin/password?upn=${encodeURIComponent(LONG_UPN)}`, '/no-such-page']) {
      await page.goto(`${relay.origin}${path}`);
      await expect(page.locator('h1:visible').first()).toBeVisible();
      await expectNoSidewaysScroll(page, path);
    }
  });

  test('the signed-in and admin pages need no sideways scrolling, and the header is a compact menu', async ({ browser }) => {
    const page = await signedIn(browser, PHONE);
    const paths = [
      '/me',
      '/security-info',
      '/admin/policy',
      '/admin/users',
      `/admin/users/${aliceId}`,
      '/admin/signins',
      '/admin/apps',
      '/admin/protected-sites',
      '/no-such-page',
    ];
    for (const path of paths) {
      await page.goto(`${relay.origin}${path}`);
      await expect(page.locator('h1:visible').first()).toBeVisible();
      await expectNoSidewaysScroll(page, path);
      await expect(page.getByRole('link', { name: 'My account' })).toBeHidden();
      await expect(page.locator('.topnav-menu summary')).toBeVisible();
    }
    await page.locator('.topnav-menu summary').click();
    await expect(page.getByRole('link', { name: 'My account' })).toBeVisible();
  });

  test('the users list keeps every Status on screen and user names whole', async ({ browser }) => {
    const page = await signedIn(browser, PHONE);
    await page.goto(`${relay.origin}/admin/users`);
    const rows = page.getByTestId('user-row');
    await expect(rows).toHaveCount(4);
    for (const row of await rows.all()) {
      const status = await row.locator('.pill').boundingBox();
      expect(status!.x + status!.width).toBeLessThanOrEqual(PHONE.width);
    }
    // The long name may wrap only at its "@": each half stays on one line, inside the screen.
    const parts = rows.filter({ hasText: 'Maximilian' }).locator('a .upn-part');
    await expect(parts).toHaveText(['maximilian.example-longname', '@subsidiary.example-company.test']);
    for (const part of await parts.all()) {
      expect(await part.evaluate((element) => element.getClientRects().length)).toBe(1);
      const box = (await part.boundingBox())!;
      expect(box.height).toBeLessThan(30);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    }
  });
});

test.describe('at 1280 px wide', () => {
  test('every column heading of the sign-in log is fully in view', async ({ browser }) => {
    const page = await signedIn(browser, { width: 1280, height: 800 });
    await page.goto(`${relay.origin}/admin/signins`);
    await expect(page.getByTestId('log-row').first()).toBeVisible();
    const headings = page.getByTestId('signin-log').locator('th');
    await expect(headings).toHaveCount(8);
    for (const heading of await headings.all()) {
      const box = (await heading.boundingBox())!;
      const name = (await heading.textContent()) ?? '';
      expect(box.x, name).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, name).toBeLessThanOrEqual(1280);
    }
    await expectNoSidewaysScroll(page, '/admin/signins');
    const wrap = await page.locator('.table-wrap').evaluate((element) => element.scrollWidth - element.clientWidth);
    expect(wrap).toBe(0);
  });
});
