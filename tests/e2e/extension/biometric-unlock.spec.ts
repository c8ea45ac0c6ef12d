import type { Page } from '@playwright/test';
import {
  ApprovalWindow,
  DEFAULT_PIN,
  addVirtualAuthenticator,
  expect,
  test,
  type Authenticator,
  type RelayHandle,
} from '../../../testing/playwright-fixture.ts';

/**
 * Biometric unlock (WebAuthn PRF) in real Chromium with a DevTools virtual authenticator. A
 * virtual authenticator belongs to one tab, so setup (popup.html) and approval (approve.html)
 * happen in the same tab, one after the other.
 */

const UPN = 'alice@demo.test';

interface StartedSignIn {
  requestId: string;
  number: string;
  browserToken: string;
}

/** A sign-in started through the relay's API, as the sign-in page would. */
async function startSignIn(relay: RelayHandle, upn: string): Promise<StartedSignIn> {
  const response = await fetch(`${relay.origin}/api/v1/signins`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upn }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as StartedSignIn;
}

/** What the relay says about the finished sign-in: its session's amr. */
async function completedAmr(relay: RelayHandle, signIn: StartedSignIn): Promise<string[]> {
  const response = await fetch(`${relay.origin}/api/v1/signins/${signIn.requestId}/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${signIn.browserToken}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { session: { amr: string[] } }).session.amr;
}

async function openInTab(page: Page, authenticator: Authenticator, pathname: string): Promise<void> {
  await page.goto(authenticator.url(pathname));
}

async function openRequest(page: Page, authenticator: Authenticator, requestId: string): Promise<ApprovalWindow> {
  await openInTab(page, authenticator, `approve.html?request=${requestId}`);
  const window = new ApprovalWindow(page);
  await window.waitForPending();
  return window;
}

test.describe('biometric unlock (WebAuthn PRF)', () => {
  test.beforeEach(async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, UPN);
  });

  test('approves with the authenticator instead of the PIN (amr hwk); once turned off, the PIN still approves', async ({
    relay,
    authenticator,
  }) => {
    const popup = await authenticator.openPopup();
    const tab = popup.page;
    const virtual = await addVirtualAuthenticator(tab);
    const biometric = tab.getByTestId('biometric');
    await expect(biometric).toHaveAttribute('data-state', 'off');

    await tab.getByTestId('biometric-pin').fill(DEFAULT_PIN);
    await tab.getByTestId('biometric-enable').click();
    await expect(biometric).toHaveAttribute('data-state', 'on');
    await expect(tab.getByTestId('biometric-message')).toHaveText(/Biometric unlock is on/);
    expect(await virtual.credentials()).toHaveLength(1);

    // The record holds the credential, the salt and wrapped copies only.
    const stored = await authenticator.readDatabase();
    const record = stored['settings']!.find((entry) => entry['key'] === 'biometric')!;
    expect(Object.keys(record['wrappedKeys'] as object)).toHaveLength(1);

    const first = await startSignIn(relay, UPN);
    const window = await openRequest(tab, authenticator, first.requestId);
    await expect(tab.getByTestId('approve-biometric')).toHaveText('Unlock with Windows Hello, Touch ID or a security key');
    await expect(tab.getByTestId('approve-biometric')).toBeDisabled();
    await window.fill({ number: first.number });
    await tab.getByTestId('approve-biometric').click();
    expect(await window.outcome()).toBe('approved');
    expect(await completedAmr(relay, first)).toEqual(['swk', 'hwk', 'mfa']);

    await openInTab(tab, authenticator, 'popup.html');
    await expect(biometric).toHaveAttribute('data-state', 'on');
    await tab.getByTestId('biometric-disable').click();
    await expect(biometric).toHaveAttribute('data-state', 'off');
    const after = await authenticator.readDatabase();
    expect(after['settings']!.some((entry) => entry['key'] === 'biometric')).toBe(false);

    const second = await startSignIn(relay, UPN);
    const pinWindow = await openRequest(tab, authenticator, second.requestId);
    await expect(tab.getByTestId('approve-biometric')).toHaveCount(0);
    await pinWindow.decide('approve', { number: second.number, pin: DEFAULT_PIN });
    expect(await pinWindow.outcome()).toBe('approved');
    expect(await completedAmr(relay, second)).toEqual(['swk', 'pin', 'mfa']);
  });

  test('an account added while it is on needs the PIN until included; then it approves with the authenticator too', async ({
    relay,
    authenticator,
  }) => {
    const popup = await authenticator.openPopup();
    const tab = popup.page;
    await addVirtualAuthenticator(tab);
    await tab.getByTestId('biometric-pin').fill(DEFAULT_PIN);
    await tab.getByTestId('biometric-enable').click();
    await expect(tab.getByTestId('biometric')).toHaveAttribute('data-state', 'on');
    await expect(tab.getByTestId('biometric-enable')).toHaveCount(0);

    await authenticator.pairUser(relay, 'bob@demo.test');
    await expect(tab.getByTestId('biometric-status')).toContainText('One account was added since and still needs the PIN');
    const early = await startSignIn(relay, 'bob@demo.test');
    await openRequest(tab, authenticator, early.requestId);
    await expect(tab.getByTestId('approve-biometric')).toHaveCount(0);
    await expect(tab.getByTestId('pin-input')).toBeVisible();

    await openInTab(tab, authenticator, 'popup.html');
    await tab.getByTestId('biometric-pin').fill(DEFAULT_PIN);
    await tab.getByTestId('biometric-enable').click();
    await expect(tab.getByTestId('biometric-status')).not.toContainText('still need');
    await expect(tab.getByTestId('biometric-enable')).toHaveCount(0);

    const window = await openRequest(tab, authenticator, early.requestId);
    await window.fill({ number: early.number });
    await tab.getByTestId('approve-biometric').click();
    expect(await window.outcome()).toBe('approved');
    expect(await completedAmr(relay, early)).toEqual(['swk', 'hwk', 'mfa']);
  });

  test('says so plainly when the authenticator gives no PRF, and stays off', async ({ authenticator }) => {
    const popup = await authenticator.openPopup();
    const tab = popup.page;
    await addVirtualAuthenticator(tab, { hasPrf: false });
    await tab.getByTestId('biometric-pin').fill(DEFAULT_PIN);
    await tab.getByTestId('biometric-enable').click();
    const message = tab.getByTestId('biometric-message');
    await expect(message).toHaveAttribute('data-code', 'prf_unsupported');
    await expect(message).toContainText('cannot derive an unlock key');
    await expect(tab.getByTestId('biometric')).toHaveAttribute('data-state', 'off');
  });

  test('a wrong PIN at setup turns nothing on', async ({ authenticator }) => {
    const popup = await authenticator.openPopup();
    const tab = popup.page;
    await addVirtualAuthenticator(tab);
    await tab.getByTestId('biometric-pin').fill('999999');
    await tab.getByTestId('biometric-enable').click();
    await expect(tab.getByTestId('biometric-message')).toHaveAttribute('data-code', 'wrong_pin');
    await expect(tab.getByTestId('biometric')).toHaveAttribute('data-state', 'off');
    const stored = await authenticator.readDatabase();
    expect(stored['settings']!.some((entry) => entry['key'] === 'biometric')).toBe(false);
  });
});
