import { expect, test, type Page } from '@playwright/test';
import type { Policy } from '../../protocol/index.ts';
import { AdminClient } from '../../testing/admin-client.ts';
import { startRelay } from '../../testing/start-relay.ts';
import { VirtualDevice } from '../../testing/virtual-device.ts';

/**
 * Issue 12: the sign-in page's journeys as a person walks them, in real Chromium against a real
 * relay, with the headless virtual device playing the authenticator.
 */

const PASSWORD = 'journeys-password';

interface Person {
  upn: string;
  device: VirtualDevice;
}

/** A relay of its own (the policy changes stay here) and a way to make people with a paired device. */
async function demoRelay(policy: Partial<Policy> = {}) {
  const relay = await startRelay({ demo: true });
  const admin = new AdminClient(relay.origin, relay.adminToken);
  // Pushes count per user and client (127.0.0.1 here): keep the budget out of the way unless a test wants it.
  // These journeys are about the pages, not the push budgets: every browser here is new to the relay.
  await admin.putPolicy({ ...(await admin.getPolicy()), maxPushesPer10Min: 100, maxUnfamiliarPushesPerHour: 10_000, ...policy });
  const devices: VirtualDevice[] = [];
  let count = 0;
  return {
    relay,
    admin,
    /** A new user with a password and, unless told otherwise, a connected virtual device. */
    async person(options: { device?: boolean; upn?: string } = {}): Promise<Person> {
      const upn = options.upn ?? `journey-${++count}-${Date.now()}@demo.test`;
      if (!options.upn) await admin.createUser({ upn, displayName: `Journey ${count}`, password: PASSWORD });
      const device = await VirtualDevice.open({ deviceName: `Device of ${upn}` });
      devices.push(device);
      if (options.device !== false) {
        await device.pair((await admin.createPairing(upn)).link);
        await device.connect(relay.origin);
      }
      return { upn, device };
    },
    /** The request's row in the admin sign-in log. */
    async logged(upn: string, requestId: string) {
      return (await admin.listSignins({ upn, limit: 20 })).find((row) => row.requestId === requestId);
    },
    async stop() {
      for (const device of devices) await device.close();
      await relay.stop();
    },
  };
}
type DemoRelay = Awaited<ReturnType<typeof demoRelay>>;

/** Types the username on /signin and waits for the number; returns the request's id and number. */
async function askForNumber(page: Page, origin: string, upn: string, path = '/signin?app=demo') {
  await page.goto(`${origin}${path}`);
  await page.getByLabel('Email or username').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  const status = page.getByTestId('signin-status');
  await expect(status).toHaveAttribute('data-state', 'pending');
  const number = (await page.getByTestId('match-number').textContent())!;
  const requestId = (await page.locator('#signin').getAttribute('data-request-id'))!;
  return { number, requestId };
}

/** `document.documentElement.scrollWidth <= innerWidth`: nothing sticks out sideways. */
async function expectNoSidewaysScroll(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

test.describe('sign-in journeys (mode any)', () => {
  let env: DemoRelay;
  test.beforeAll(async () => {
    env = await demoRelay();
  });
  test.afterAll(async () => env?.stop());

  test('after "It wasn\'t me" the page says only that requests are paused, and so does the next request from an unknown browser', async ({
    page,
  }) => {
    const person = await env.person();
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    await person.device.waitForChallenge((challenge) => challenge.requestId === requestId);
    expect((await person.device.report(requestId)).outcome).toBe('reported');

    const status = page.getByTestId('signin-status');
    await expect(status).toHaveAttribute('data-state', 'reported');
    // Issue 23: whoever waits here may be the stranger who was reported, so the page says only
    // that requests are paused and what works, never "reported" (Entra keeps this generic too).
    await expect(status).toContainText('Sign-in request not approved');
    await expect(status).toContainText('Requests from unknown places are paused');
    await expect(status).toContainText('sign in with a code');
    await expect(status).not.toContainText(/reported|It wasn.t me|administrator unblocks/i);
    await expect(status).not.toContainText('Thanks');
    // Every new request would be refused: no button that leads nowhere.
    await expect(page.getByRole('button', { name: 'Try again' })).toBeHidden();

    // Trying again anyway from this browser (never signed in here, so unknown to the relay): the
    // page says requests from unknown places are paused and what still works, never why
    // (section 5: a stranger learns nothing); no "wait a while".
    await page.goto(`${env.relay.origin}/signin?app=demo`);
    await page.getByLabel('Email or username').fill(person.upn);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(status).toHaveAttribute('data-state', 'error');
    await expect(status).toHaveAttribute('data-code', 'paused');
    await expect(status).toContainText('Requests from unknown places are paused');
    await expect(status).toContainText('sign in with a code');
    await expect(status).not.toContainText('reported');
    await expect(status).not.toContainText('Try again in');
    await expect(page.getByTestId('match-number')).toBeHidden();
  });

  test('"Use your password instead" withdraws the waiting request: the relay cancels it and the device is told', async ({ page }) => {
    const person = await env.person();
    const { requestId, number } = await askForNumber(page, env.relay.origin, person.upn);
    await person.device.waitForChallenge((challenge) => challenge.requestId === requestId);
    await page.getByRole('link', { name: 'Use your password instead' }).click();
    await page.waitForURL(/\/signin\/password\?/);
    await expect(page.getByLabel('Email or username')).toHaveValue(person.upn);

    expect((await person.device.waitForCancel(requestId)).reason).toBe('cancelled');
    expect((await env.logged(person.upn, requestId))?.status).toBe('cancelled');
    // Approving it now signs nobody in and logs nothing new.
    expect((await person.device.approve(requestId, number)).outcome).toBe('already_decided');
  });

  test('"Sign in as someone else" withdraws the request and leaves an empty username, with no Cancel left over', async ({ page }) => {
    const person = await env.person();
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    await page.getByRole('button', { name: 'Sign in as someone else' }).click();

    await expect(page.getByLabel('Email or username')).toHaveValue('');
    await expect(page.getByLabel('Email or username')).toBeFocused();
    await expect(page.getByRole('button', { name: 'Cancel' })).toBeHidden();
    await expect(page.getByRole('button', { name: 'Try again' })).toBeHidden();
    await expect(page.getByTestId('signin-status')).toBeHidden();
    await expect(page.getByRole('link', { name: 'Use your password instead' })).toHaveAttribute('href', '/signin/password?app=demo');
    expect((await person.device.waitForCancel(requestId)).reason).toBe('cancelled');
    expect((await env.logged(person.upn, requestId))?.status).toBe('cancelled');
  });

  test('closing the tab while the number shows withdraws the request', async ({ context }) => {
    const person = await env.person();
    const page = await context.newPage();
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    await page.close({ runBeforeUnload: true });
    expect((await person.device.waitForCancel(requestId)).reason).toBe('cancelled');
  });

  test('the countdown reads like the extension\'s: minutes and seconds, then "30 s"', async ({ page }) => {
    const person = await env.person();
    await page.clock.install();
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    const countdown = page.getByTestId('countdown');
    await expect(countdown).toHaveText(/^Expires in (2:00|1:5\d)$/);
    // 120 s requests: move the page's clock on to half a minute before the end.
    await page.clock.fastForward(90_000);
    await expect(countdown).toHaveText(/^Expires in (30|29|28) s$/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await person.device.waitForCancel(requestId);
  });

  test('a Temporary Access Pass leads straight to adding an authenticator', async ({ page }) => {
    const person = await env.person({ device: false });
    const tap = await env.admin.issueTap(person.upn, { lifetimeMinutes: 60, oneTime: true });
    await page.goto(`${env.relay.origin}/signin/password?app=demo&upn=${encodeURIComponent(person.upn)}`);
    await page.getByLabel('Password', { exact: true }).fill(tap.code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${env.relay.origin}/security-info?add=authenticator`);
  });

  test('opening /admin signed out comes back to /admin after a phone sign-in', async ({ page }) => {
    const admin = await env.person({ upn: 'admin@demo.test' });
    await page.goto(`${env.relay.origin}/admin/users`);
    await page.waitForURL(/\/signin$/);
    await page.getByLabel('Email or username').fill(admin.upn);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('match-number')).toHaveText(/^\d+$/);
    const requestId = (await page.locator('#signin').getAttribute('data-request-id'))!;
    await admin.device.waitForChallenge((challenge) => challenge.requestId === requestId);
    await admin.device.approve(requestId, (await page.getByTestId('match-number').textContent())!);
    await page.waitForURL(`${env.relay.origin}/admin/users`);
  });

  test('opening /admin signed out comes back to /admin after a password sign-in', async ({ page }) => {
    await page.goto(`${env.relay.origin}/admin/users`);
    await page.waitForURL(/\/signin$/);
    await page.goto(`${env.relay.origin}/signin/password?upn=admin%40demo.test`);
    await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Demo mode lets a password-only admin in (under a warning).
    await page.waitForURL(`${env.relay.origin}/admin/users`);
  });

  test('the sign-in and password pages fit a 390 px wide phone, in every step', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const person = await env.person();
    await page.goto(`${env.relay.origin}/signin?app=demo`);
    await expectNoSidewaysScroll(page);
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    await expectNoSidewaysScroll(page);
    await person.device.deny(requestId);
    await expect(page.getByTestId('signin-status')).toHaveAttribute('data-state', 'denied');
    await expectNoSidewaysScroll(page);
    await page.goto(`${env.relay.origin}/signin?app=demo`);
    await page.getByLabel('Email or username').fill(`no-such-user-with-a-rather-long-name-${'x'.repeat(60)}@demo.test`);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('signin-status')).toHaveAttribute('data-code', 'no_push_method');
    await expectNoSidewaysScroll(page);
    await page.goto(`${env.relay.origin}/signin/password?app=demo`);
    await expectNoSidewaysScroll(page);
    await page.getByLabel('Email or username').fill(person.upn);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('password-error')).toBeVisible();
    await expectNoSidewaysScroll(page);
  });
});

test.describe('password, then an approval (mode push)', () => {
  let env: DemoRelay;
  test.beforeAll(async () => {
    env = await demoRelay({ mode: 'push' });
  });
  test.afterAll(async () => env?.stop());

  /** The password page, then the number screen its answer shows. */
  async function passwordThenNumber(page: Page, upn: string, password = PASSWORD) {
    await page.getByLabel('Email or username').fill(upn);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('signin-status')).toHaveAttribute('data-state', 'pending');
    return (await page.locator('#signin').getAttribute('data-request-id'))!;
  }

  test('the number screen offers no password link; "Sign in as someone else" withdraws and starts empty', async ({ page }) => {
    const person = await env.person();
    await page.goto(`${env.relay.origin}/signin/password?app=demo`);
    const requestId = await passwordThenNumber(page, person.upn);
    await expect(page.getByTestId('match-number')).toHaveText(/^\d+$/);
    await expect(page.getByRole('link', { name: 'Use your password instead' })).toHaveCount(0);

    await page.getByRole('button', { name: 'Sign in as someone else' }).click();
    await page.waitForURL(`${env.relay.origin}/signin/password?app=demo`);
    await expect(page.getByLabel('Email or username')).toHaveValue('');
    expect((await person.device.waitForCancel(requestId)).reason).toBe('cancelled');
    expect((await env.logged(person.upn, requestId))?.status).toBe('cancelled');
  });

  test('opening /admin signed out comes back to /admin after a password and an approval', async ({ page }) => {
    const admin = await env.person({ upn: 'admin@demo.test' });
    await page.goto(`${env.relay.origin}/admin/users`);
    await page.waitForURL(/\/signin$/);
    // Without passwordless sign-in the username step goes on to the password page.
    await page.getByLabel('Email or username').fill(admin.upn);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/signin\/password\?/);
    const requestId = await passwordThenNumber(page, admin.upn, 'countersign-admin');
    await admin.device.waitForChallenge((challenge) => challenge.requestId === requestId);
    await admin.device.approve(requestId, (await page.getByTestId('match-number').textContent())!);
    await page.waitForURL(`${env.relay.origin}/admin/users`);
  });
});

test.describe('limits', () => {
  let env: DemoRelay;
  test.beforeAll(async () => {
    env = await demoRelay({ maxPushesPer10Min: 1 });
  });
  test.afterAll(async () => env?.stop());

  test('a refused request says when to try again', async ({ page }) => {
    const person = await env.person();
    const { requestId } = await askForNumber(page, env.relay.origin, person.upn);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await person.device.waitForCancel(requestId);
    await page.getByRole('button', { name: 'Try again' }).click();

    const status = page.getByTestId('signin-status');
    await expect(status).toHaveAttribute('data-code', 'rate_limited');
    // One push per 10 minutes, just spent: Retry-After is about ten minutes.
    await expect(status).toContainText(/Try again in (9|10) minutes\./);
    await expect(page.getByLabel('Email or username')).toHaveValue(person.upn);
  });
});
