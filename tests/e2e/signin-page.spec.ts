import { expect, test, type Locator, type Page } from '@playwright/test';
import { AdminClient } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

/** The sign-in page as a person sees it: type a username, read the number, see the outcome. */
class SignInPage {
  readonly number: Locator;
  readonly countdown: Locator;
  readonly status: Locator;

  constructor(
    readonly page: Page,
    private readonly origin: string,
  ) {
    this.number = page.getByTestId('match-number');
    this.countdown = page.getByTestId('countdown');
    this.status = page.getByTestId('signin-status');
  }

  async open(app = 'demo'): Promise<void> {
    await this.page.goto(`${this.origin}/signin?app=${app}`);
  }

  async submitUsername(upn: string): Promise<void> {
    const form = this.page.getByTestId('upn-form');
    await form.locator('input[name=upn]').fill(upn);
    await form.getByRole('button', { name: 'Next' }).click();
  }

  /** Waits for the number to show and returns it with the id of its request. */
  async waitForNumber(): Promise<{ number: string; requestId: string }> {
    await expect(this.status).toHaveAttribute('data-state', 'pending');
    await expect(this.number).toHaveText(/^\d{2,6}$/);
    // The extension's format (extension/components/use-now.ts): "45 s" under a minute, else "1:45".
    await expect(this.countdown).toHaveText(/^Expires in (\d{1,2} s|\d+:\d{2})$/);
    const requestId = await this.page.locator('#signin').getAttribute('data-request-id');
    return { number: (await this.number.textContent())!, requestId: requestId! };
  }
}

/** The password page's address for this user and the demo app, whatever the parameter order. */
const passwordPage = (upn: string) =>
  new RegExp(`^/signin/password\\?(?=.*\\bupn=${encodeURIComponent(upn).replace('.', '\\.')}(&|$))(?=.*\\bapp=demo(&|$))`);

let relay: RunningRelay;
let device: VirtualDevice;
let admin: AdminClient;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  admin = new AdminClient(relay.origin, relay.adminToken);
  // Every test here makes pushes for alice; keep the default budget of 5 per 10 minutes out of the way.
  // Each test is a new browser, unknown to the relay: the budgets for unknown places are not what these test.
  await admin.putPolicy({ ...(await admin.getPolicy()), maxPushesPer10Min: 100, maxUnfamiliarPushesPerHour: 10_000 });
  device = await VirtualDevice.open({ deviceName: 'E2E virtual device' });
  const offer = await admin.createPairing('alice@demo.test');
  await device.pair(offer.link);
  await device.connect(relay.origin);
});

test.afterAll(async () => {
  await device?.close();
  await relay?.stop();
});

test.describe('the sign-in page', () => {
  test('signs in when the device approves with the number the page shows', async ({ page }) => {
    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await signin.submitUsername('alice@demo.test');
    const { number, requestId } = await signin.waitForNumber();
    await expect(page.getByText('Open your authenticator and enter this number')).toBeVisible();
    const challenge = await device.waitForChallenge((candidate) => candidate.requestId === requestId);
    expect(challenge.account.upn).toBe('alice@demo.test');
    expect(challenge.app?.name).toBe('Countersign Demo');

    const result = await device.approve(requestId, number);
    expect(result.outcome).toBe('approved');
    await page.waitForURL(`${relay.origin}/me`);
    await expect(page.getByTestId('signed-in-as')).toHaveText('alice@demo.test');
    await expect(page.getByTestId('signed-in-method')).toHaveText('Approved in Countersign');
  });

  test('shows the denied screen with a way to try again and the password page', async ({ page }) => {
    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await signin.submitUsername('alice@demo.test');
    const { requestId } = await signin.waitForNumber();
    await device.waitForChallenge((candidate) => candidate.requestId === requestId);
    await device.deny(requestId);
    await expect(signin.status).toHaveAttribute('data-state', 'denied');
    await expect(signin.status).toContainText('denied');
    await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
    const passwordLink = page.getByRole('link', { name: 'Use your password instead' });
    await expect(passwordLink).toHaveAttribute('href', passwordPage('alice@demo.test'));
    await expect(signin.number).toBeHidden();

    // "Try again" makes a new request with a new number.
    await page.getByRole('button', { name: 'Try again' }).click();
    const retry = await signin.waitForNumber();
    expect(retry.requestId).not.toBe(requestId);
    await device.waitForChallenge((candidate) => candidate.requestId === retry.requestId);
    await device.deny(retry.requestId);
    await expect(signin.status).toHaveAttribute('data-state', 'denied');
  });

  test('shows the wrong-number screen when the device enters another number', async ({ page }) => {
    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await signin.submitUsername('alice@demo.test');
    const { number, requestId } = await signin.waitForNumber();
    await device.waitForChallenge((candidate) => candidate.requestId === requestId);
    const wrong = String((Number(number) + 1) % 10 ** number.length).padStart(number.length, '0');
    const result = await device.approve(requestId, wrong);
    expect(result.outcome).toBe('wrong_number');
    await expect(signin.status).toHaveAttribute('data-state', 'wrong_number');
    await expect(signin.status).toContainText("The numbers didn't match");
    await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
    await expect(page).toHaveURL(/\/signin\?app=demo$/);
  });

  test('cancels a waiting request', async ({ page }) => {
    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await signin.submitUsername('alice@demo.test');
    const { requestId } = await signin.waitForNumber();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(signin.status).toHaveAttribute('data-state', 'cancelled');
    await device.waitForCancel(requestId);
  });

  test('says when the account has no authenticator', async ({ page }) => {
    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await signin.submitUsername('bob@demo.test');
    await expect(signin.status).toHaveAttribute('data-state', 'error');
    await expect(signin.status).toContainText('No authenticator is set up for this account');
    await expect(page.getByRole('link', { name: 'Use your password instead' })).toHaveAttribute('href', passwordPage('bob@demo.test'));
  });

  test('signs in with a password through the real form (CSRF token and Origin check pass in a browser)', async ({ page }) => {
    await page.goto(`${relay.origin}/signin/password?app=demo&upn=bob%40demo.test`);
    await page.getByLabel('Password', { exact: true }).fill('countersign-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${relay.origin}/me`);
    await expect(page.getByTestId('signed-in-as')).toHaveText('bob@demo.test');
    await expect(page.getByTestId('signed-in-method')).toHaveText('Password');
  });

  test('pairs a new authenticator from the security info page and lists it without a reload', async ({ page }) => {
    await page.goto(`${relay.origin}/signin/password?app=demo&upn=bob%40demo.test`);
    await page.getByLabel('Password', { exact: true }).fill('countersign-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${relay.origin}/me`);
    await page.getByRole('link', { name: 'Security info', exact: true }).click();
    await expect(page.getByTestId('device')).toHaveCount(0);
    await page.getByTestId('add-authenticator').click();
    await expect(page.getByTestId('pairing-qr')).toBeVisible();
    await expect(page.getByTestId('pairing-expires')).toContainText('Expires in 10 minutes');
    const link = await page.getByTestId('pairing-link').inputValue();

    const bobsDevice = await VirtualDevice.open({ deviceName: "Bob's virtual device" });
    try {
      await bobsDevice.pair(link);
      await expect(page.getByTestId('device')).toHaveCount(1);
      await expect(page.getByTestId('device')).toContainText("Bob's virtual device");
      await expect(page.getByTestId('pairing-qr')).toBeHidden();
    } finally {
      await bobsDevice.close();
    }
  });

  // Last: it changes the policy for every later sign-in.
  test('an admin switches number matching to choose mode and the next sign-in offers three choices', async ({ page }) => {
    await page.goto(`${relay.origin}/signin/password?upn=admin%40demo.test`);
    await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${relay.origin}/me`);
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await expect(page.getByTestId('lucky-guess')).toHaveText('Chance of a lucky guess: 1 in 100');
    await page.getByLabel('Number matching').selectOption('choose');
    await expect(page.getByTestId('lucky-guess')).toHaveText('Chance of a lucky guess: 1 in 3');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();

    const signin = new SignInPage(page, relay.origin);
    await signin.open();
    await expect(page.getByText('Open your authenticator and choose this number')).toBeAttached();
    await signin.submitUsername('alice@demo.test');
    const { number, requestId } = await signin.waitForNumber();
    const challenge = await device.waitForChallenge((candidate) => candidate.requestId === requestId);
    expect(challenge.match.mode).toBe('choose');
    if (challenge.match.mode !== 'choose') throw new Error('expected choose mode');
    expect(challenge.match.choices).toHaveLength(3);
    expect(challenge.match.choices).toContain(number);
    await device.approve(requestId, number);
    await page.waitForURL(`${relay.origin}/me`);
  });
});
