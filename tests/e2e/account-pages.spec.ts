import { expect, test, type Page } from '@playwright/test';
import { AdminClient } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

/**
 * The person's own pages in real Chromium: /me, Security info (pairing with a virtual device,
 * removing with a confirmation) and signing out. Every test has its own user.
 */
const PASSWORD = 'account-pages-password';

let relay: RunningRelay;
let admin: AdminClient;
const devices: VirtualDevice[] = [];
let users = 0;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  admin = new AdminClient(relay.origin, relay.adminToken);
});

test.afterAll(async () => {
  for (const device of devices) await device.close();
  await relay?.stop();
});

/** A new user with a password, signed in on the password page. */
async function signIn(page: Page): Promise<string> {
  users += 1;
  const upn = `person${users}@demo.test`;
  await admin.createUser({ upn, displayName: `Person ${users}`, password: PASSWORD });
  await page.goto(`${relay.origin}/signin/password?upn=${encodeURIComponent(upn)}`);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('input[name=password]').press('Enter');
  await expect(page.getByTestId('signed-in-as')).toHaveText(upn);
  return upn;
}

/** Pairs a virtual device with the user through the admin API (a device already on the account). */
async function pairedDevice(upn: string, deviceName: string): Promise<VirtualDevice> {
  const device = await VirtualDevice.open({ deviceName });
  devices.push(device);
  await device.pair((await admin.createPairing(upn)).link);
  return device;
}

async function offersOf(upn: string): Promise<number> {
  const user = await relay.relay.store.users.byUpn(upn);
  const rows = await relay.relay.store.db.selectFrom('pairing_offers').select('token_hash').where('user_id', '=', user!.id).execute();
  return rows.length;
}

async function deviceRowsOf(upn: string) {
  const user = await relay.relay.store.users.byUpn(upn);
  return relay.relay.store.devices.ofUser(user!.id);
}

async function devicesOf(upn: string): Promise<string[]> {
  return (await deviceRowsOf(upn)).map((device) => device.name);
}

const noHorizontalScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test.describe('Security info', () => {
  test('"Add authenticator" posts, then shows the link on a GET page; a reload makes no second link', async ({ page }) => {
    const upn = await signIn(page);
    await page.goto(`${relay.origin}/security-info`);
    await page.getByTestId('add-authenticator').click();
    await expect(page.getByTestId('pairing-qr')).toBeVisible();
    expect(page.url()).toBe(`${relay.origin}/security-info#pairing`);
    const link = await page.getByTestId('pairing-link').inputValue();
    expect(link).toContain('/pair#v=1&token=');
    expect(await offersOf(upn)).toBe(1);

    await page.reload();
    await expect(page.getByTestId('pairing-link')).toHaveValue(link);
    expect(await offersOf(upn)).toBe(1);
    await expect(page.getByTestId('add-authenticator')).toHaveText('Make a new pairing link');
  });

  test('a device that redeems the link appears at once, without a reload', async ({ page }) => {
    const upn = await signIn(page);
    await page.goto(`${relay.origin}/security-info`);
    await page.getByTestId('add-authenticator').click();
    const link = await page.getByTestId('pairing-link').inputValue();
    await expect(page.getByTestId('device')).toHaveCount(0);
    // Marks this document: a reload or navigation would lose the mark.
    await page.evaluate(() => document.documentElement.setAttribute('data-before-pairing', ''));

    const device = await VirtualDevice.open({ deviceName: 'Kitchen laptop' });
    devices.push(device);
    await device.pair(link);
    const row = page.getByTestId('device').filter({ hasText: 'Kitchen laptop' });
    // Polled every second while the link waits: well within two seconds.
    await expect(row).toBeVisible({ timeout: 2_500 });
    await expect(page.locator('#paired-notice')).toHaveText('Kitchen laptop added. You can now sign in with it.');
    await expect(page.getByTestId('pairing-qr')).toBeHidden();
    await expect(page.locator('html')).toHaveAttribute('data-before-pairing', '');
    const question = 'Remove “Kitchen laptop”? It will stop getting sign-in requests for this account.';
    await expect(row.locator('form')).toHaveAttribute('data-confirm', question);
    expect(await devicesOf(upn)).toEqual(['Kitchen laptop']);
  });

  test('Remove asks first: Cancel keeps the device, Remove in the dialog removes it', async ({ page }) => {
    const upn = await signIn(page);
    await pairedDevice(upn, 'Old phone');
    await page.goto(`${relay.origin}/security-info`);
    const row = page.getByTestId('device').filter({ hasText: 'Old phone' });

    await row.getByRole('button', { name: 'Remove Old phone' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('Remove “Old phone”? It will stop getting sign-in requests for this account.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toBeVisible();
    expect(page.url()).toBe(`${relay.origin}/security-info`);
    expect(await devicesOf(upn)).toEqual(['Old phone']);

    await row.getByRole('button', { name: 'Remove Old phone' }).click();
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.waitForURL(`${relay.origin}/security-info?removed=1`);
    await expect(page.getByRole('status').filter({ hasText: 'The authenticator was removed.' })).toBeVisible();
    await expect(page.getByTestId('device')).toHaveCount(0);
    expect(await devicesOf(upn)).toEqual([]);
  });

  test('where a Temporary Access Pass lands, the pairing link and QR code are shown at once', async ({ page }) => {
    const upn = await signIn(page);
    const pass = await admin.issueTap(upn, { lifetimeMinutes: 60, oneTime: true });
    await page.context().clearCookies();
    await signInAgain(page, upn, pass.code);
    await page.goto(`${relay.origin}/security-info?add=authenticator`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add an authenticator to finish setting up your account');
    await expect(page.getByTestId('pairing-qr')).toBeVisible();
    await expect(page.getByTestId('pairing-link')).toHaveValue(new RegExp(`^${relay.origin}/pair#v=1&token=`));
    expect(await offersOf(upn)).toBe(1);
    // Coming back shows the same offer; it does not make another.
    const link = await page.getByTestId('pairing-link').inputValue();
    await page.goto(`${relay.origin}/security-info?add=authenticator`);
    await expect(page.getByTestId('pairing-link')).toHaveValue(link);
    expect(await offersOf(upn)).toBe(1);
  });

  test('?add=authenticator after a password sign-in says why and puts the focus on "Add authenticator", making nothing', async ({
    page,
  }) => {
    const upn = await signIn(page);
    await page.goto(`${relay.origin}/security-info?add=authenticator`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add an authenticator to finish setting up your account');
    await expect(page.getByTestId('add-authenticator')).toBeFocused();
    await expect(page.getByTestId('add-authenticator')).toHaveText('Add authenticator');
    // Looking at the page made nothing.
    expect(await offersOf(upn)).toBe(0);
  });

  test("a Remove posted for another user's device is refused and changes nothing", async ({ page }) => {
    const other = await signIn(page);
    await pairedDevice(other, 'Not yours');
    const [otherId] = (await deviceRowsOf(other)).map((device) => device.id);
    await page.context().clearCookies();
    await signIn(page);
    await page.goto(`${relay.origin}/security-info`);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const answer = await page.request.post(`${relay.origin}/security-info/devices/${encodeURIComponent(otherId!)}/remove`, {
      form: { csrf },
      headers: { Origin: relay.origin },
      maxRedirects: 0,
    });
    expect(answer.status()).toBe(404);
    expect(await answer.text()).toContain('There is no such authenticator on your account.');
    expect(await devicesOf(other)).toEqual(['Not yours']);
  });

  test('a post without the CSRF token is refused and changes nothing', async ({ page }) => {
    const upn = await signIn(page);
    await pairedDevice(upn, 'Desk computer');
    const [deviceId] = (await deviceRowsOf(upn)).map((device) => device.id);
    const offers = await offersOf(upn);
    for (const path of [`/security-info/devices/${encodeURIComponent(deviceId!)}/remove`, '/security-info/pairings']) {
      const answer = await page.request.post(`${relay.origin}${path}`, { form: {}, headers: { Origin: relay.origin }, maxRedirects: 0 });
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toContain('nothing was changed');
    }
    expect(await devicesOf(upn)).toEqual(['Desk computer']);
    expect(await offersOf(upn)).toBe(offers);
  });
});

test.describe('signing out', () => {
  test('lands on a page that says so, with a way to sign in again', async ({ page }) => {
    await signIn(page);
    await page.locator('main').getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(`${relay.origin}/signed-out`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You signed out.');
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You signed out.');
    await page.getByRole('link', { name: 'Sign in again' }).click();
    await expect(page).toHaveURL(`${relay.origin}/signin`);
  });
});

test.describe('at 390 px', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('/me and /security-info (with a device and a waiting link) have no horizontal scroll', async ({ page }) => {
    const upn = await signIn(page);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.goto(`${relay.origin}/security-info?add=authenticator`);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.getByTestId('add-authenticator').click();
    await expect(page.getByTestId('pairing-qr')).toBeVisible();
    expect(await noHorizontalScroll(page)).toBe(true);
    await pairedDevice(upn, 'A laptop with a rather long name that has to wrap somewhere');
    await expect(page.getByTestId('device')).toHaveCount(1);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.goto(`${relay.origin}/security-info`);
    expect(await noHorizontalScroll(page)).toBe(true);
  });
});

/** Signs in on the password page with a password or a Temporary Access Pass. */
async function signInAgain(page: Page, upn: string, secret: string): Promise<void> {
  await page.goto(`${relay.origin}/signin/password?upn=${encodeURIComponent(upn)}`);
  await page.locator('input[name=password]').fill(secret);
  await page.locator('input[name=password]').press('Enter');
  await page.waitForURL((url) => url.pathname !== '/signin/password');
}
