import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser } from '@playwright/test';
import { AdminClient, SigninClient } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

// Issue 23 item 7: the admin overview in real Chromium, with script off (the charts are SVG drawn on
// the server), at a phone's 390 px and a desktop's 1280 px. Alice approves a Team Wiki sign-in on
// her phone and reports a Payroll one; Bob types a wrong password.

const SCREENS = path.resolve(import.meta.dirname, '..', '..', '.tmp', 'screenshots');
let relay: RunningRelay;
let phone: VirtualDevice;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  const admin = new AdminClient(relay.origin, relay.adminToken);
  phone = await VirtualDevice.open({ deviceName: "Alice's phone" });
  await phone.pair((await admin.createPairing('alice@demo.test')).link);
  await phone.connect(relay.origin);
  const signins = new SigninClient(relay.origin);
  const approved = await signins.createSignin({ upn: 'alice@demo.test', app: 'wiki' });
  await phone.waitForChallenge((challenge) => challenge.requestId === approved.requestId);
  await phone.approve(approved.requestId, approved.number);
  await expect(signins.createSignin({ upn: 'bob@demo.test', password: 'not-bobs-password' })).rejects.toThrow(/invalid_credentials/);
  const reported = await signins.createSignin({ upn: 'alice@demo.test', app: 'payroll' });
  await phone.waitForChallenge((challenge) => challenge.requestId === reported.requestId);
  await phone.report(reported.requestId);
});

test.afterAll(async () => {
  await phone?.close();
  await relay?.stop();
});

/** An administrator's session (demo mode lets a password-only admin in), carried into a context with script off. */
async function adminWithoutScript(browser: Browser, width: number) {
  const signingIn = await browser.newContext();
  const page = await signingIn.newPage();
  await page.goto(`${relay.origin}/signin/password?upn=admin%40demo.test`);
  await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  const storageState = await signingIn.storageState();
  await signingIn.close();
  return browser.newContext({ storageState, javaScriptEnabled: false, viewport: { width, height: 900 } });
}

for (const width of [390, 1280]) {
  test(`the overview reads without script at ${width} px: users, both charts, who reported, the apps`, async ({ browser }) => {
    const context = await adminWithoutScript(browser, width);
    const page = await context.newPage();
    await page.goto(`${relay.origin}/admin/overview`);
    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('users-registered')).toHaveText('1');
    await expect(page.getByTestId('users-not-registered')).toHaveText('2');
    for (const chart of ['chart-by-method', 'chart-by-outcome']) {
      const svg = page.getByTestId(chart).locator('svg[role=img]');
      await expect(svg).toBeVisible();
      expect((await svg.boundingBox())!.width).toBeGreaterThan(width > 600 ? 600 : 300);
      await expect(page.getByTestId(chart).getByTestId('chart-day')).toHaveCount(30);
    }
    await expect(page.getByTestId('chart-by-outcome').locator('rect title', { hasText: 'Reported' })).toHaveCount(1);
    await expect(page.getByTestId('flagged-user')).toHaveCount(1);
    await expect(page.getByTestId('flagged-user')).toContainText('alice@demo.test');
    await expect(page.getByTestId('flagged-user')).toContainText('Reported');
    const wiki = page.locator('[data-testid=app-row][data-client-id=wiki]');
    await expect(wiki.getByTestId('app-total')).toHaveText('1');
    await expect(wiki.getByTestId('app-approved')).toHaveText('1');
    mkdirSync(SCREENS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENS, `admin-overview-${width}.png`), fullPage: true });
    // Nothing wider than the screen.
    const { scrollWidth, viewport } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(scrollWidth).toBeLessThanOrEqual(viewport);
    await context.close();
  });
}

test('the overview refuses a browser without an administrator session', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${relay.origin}/admin/overview`);
  await expect(page).toHaveURL(/\/signin/);
  expect(response?.ok()).toBe(true);
  await expect(page.getByText('users-registered')).toHaveCount(0);
  await expect(page.getByTestId('chart-by-method')).toHaveCount(0);
  await context.close();
});
