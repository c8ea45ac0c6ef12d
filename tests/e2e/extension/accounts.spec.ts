import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { expect, test, type Authenticator } from '../../../testing/playwright-fixture.ts';
import type { Page } from '@playwright/test';
import { SignInPage } from './relay-pages.ts';

/** Starts a sign-in for `upn` on `page` and approves it in the extension; resolves once signed in. */
async function signInAndApprove(
  page: Page,
  relay: { origin: string; adminToken: string },
  authenticator: Authenticator,
  upn: string,
): Promise<void> {
  const signIn = new SignInPage(page, relay);
  const number = await signIn.start(upn);
  const window = await authenticator.nextApproval();
  await expect(window.page.getByTestId('request-account')).toContainText(upn);
  await window.decide('approve', { number, pin: authenticator.pin });
  expect(await window.outcome()).toBe('approved');
  await signIn.expectSignedIn(upn);
  await window.page.close();
}

async function deviceIdOf(authenticator: Authenticator, upn: string): Promise<string> {
  const account = ((await authenticator.readDatabase()).accounts ?? []).find((record) => record.upn === upn);
  if (!account) throw new Error(`no account for ${upn}`);
  return account.deviceId as string;
}

test.describe('several accounts in one extension', () => {
  test('two accounts on one relay both approve, from the moment each is added', async ({ page, relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
    await expect(popup.account('bob@demo.test')).toHaveAttribute('data-connection', 'connected');
    await expect(popup.account('bob@demo.test').getByTestId('connection-state')).toHaveText('Connected');
    await popup.page.close();

    await signInAndApprove(page, relay, authenticator, 'bob@demo.test');
    await signInAndApprove(page, relay, authenticator, 'alice@demo.test');
  });

  test('revoking one account on the relay leaves the other connected, also after the worker restarts', async ({
    page,
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');
    const admin = new AdminClient(relay.origin, relay.adminToken);
    await admin.revokeDevice(await deviceIdOf(authenticator, 'alice@demo.test'));

    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveCount(0);
    await expect(popup.account('bob@demo.test')).toHaveAttribute('data-connection', 'connected');
    await signInAndApprove(page, relay, authenticator, 'bob@demo.test');

    await authenticator.stopServiceWorker();
    await popup.page.reload();
    await expect(popup.account('bob@demo.test')).toHaveAttribute('data-connection', 'connected');
    await expect(popup.account('bob@demo.test').getByTestId('connection-problem')).toHaveCount(0);
    await signInAndApprove(page, relay, authenticator, 'bob@demo.test');
  });

  test('an account revoked while the worker was stopped is shown in words and alone, the other still approves', async ({
    page,
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');
    const alice = await deviceIdOf(authenticator, 'alice@demo.test');
    await authenticator.stopServiceWorker();
    // Relay restarts are not needed: the stopped worker's socket is gone, so the relay cannot send `revoked`.
    await new AdminClient(relay.origin, relay.adminToken).revokeDevice(alice);

    const popup = await authenticator.openPopup();
    const problem = popup.account('alice@demo.test').getByTestId('connection-problem');
    await expect(problem).toHaveText('This authenticator was removed on the relay. Add it again from Security info.');
    await expect(popup.page.getByTestId('popup')).not.toContainText('closed_');
    await expect(popup.account('bob@demo.test')).toHaveAttribute('data-connection', 'connected');
    await signInAndApprove(page, relay, authenticator, 'bob@demo.test');
  });

  test('pairing the same person again replaces the entry instead of adding a second one, and the new one approves', async ({
    page,
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const first = await deviceIdOf(authenticator, 'alice@demo.test');
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveCount(1);
    expect(await deviceIdOf(authenticator, 'alice@demo.test')).not.toBe(first);
    await signInAndApprove(page, relay, authenticator, 'alice@demo.test');
  });

  test('the authenticator is named at pairing, and the PIN is needed before the button works', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    const offer = await new AdminClient(relay.origin, relay.adminToken).createPairing('alice@demo.test');
    const popup = await authenticator.openPopup();
    await popup.openAddAccount();
    await popup.page.getByTestId('pairing-link-input').fill(offer.link);
    const name = popup.page.getByTestId('device-name-input');
    await expect(name).toHaveValue(/^(Chromium|Chrome) on Linux$/);
    await expect(popup.page.getByTestId('pair-submit')).toBeDisabled();
    await expect(popup.page.getByTestId('pair-pin-needed')).toBeVisible();
    await name.fill('Work laptop');
    await popup.submitPairing(authenticator.pin);
    await expect(popup.account('alice@demo.test').getByTestId('device-name')).toHaveText('Work laptop');
    const devices = (await new AdminClient(relay.origin, relay.adminToken).getUser('alice@demo.test')).devices;
    expect(devices.map((device) => device.name)).toEqual(['Work laptop']);
  });

  test('several waiting requests are listed newest first, each with its app and where it comes from', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');
    const signins = new SigninClient(relay.origin);
    const older = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    await authenticator.nextApproval();
    const newer = await signins.createSignin({ upn: 'bob@demo.test', app: 'demo' });
    const popup = await authenticator.openPopup();
    const requests = popup.page.getByTestId('pending-request');
    await expect(requests).toHaveCount(2);
    await expect(requests.nth(0)).toHaveAttribute('data-request-id', newer.requestId);
    await expect(requests.nth(1)).toHaveAttribute('data-request-id', older.requestId);
    await expect(requests.nth(0)).toContainText('bob@demo.test');
    await expect(requests.nth(0).getByTestId('pending-app')).toHaveText('Countersign Demo');
    await expect(requests.nth(0).getByTestId('pending-origin')).toHaveText(/ on .+ · .+/);
  });

  test('the window names the account as stored at pairing, and says so when a request names another', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    // An administrator renames the account on the relay (no API renames a UPN; the database does).
    await relay.relay.store.db
      .updateTable('users')
      .set({ upn: 'alice.smith@demo.test', upn_key: 'alice.smith@demo.test' })
      .where('upn_key', '=', 'alice@demo.test')
      .execute();
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice.smith@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await expect(window.page.getByTestId('request-account')).toContainText('alice@demo.test');
    await expect(window.page.getByTestId('account-mismatch')).toContainText('This request names alice.smith@demo.test');
    await expect(window.page.getByTestId('account-mismatch')).toContainText('added for alice@demo.test');
    await window.decide('deny');
    expect(await window.outcome()).toBe('denied');
    expect((await signins.getStatus(signin)).status).toBe('denied');
  });
});
