import { SigninClient } from '../../../testing/admin-client.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';

test.describe('device lock', () => {
  test('a wrong PIN signs nothing, and five in a row bring a delay', async ({ relay, authenticator }) => {
    await authenticator.setPin('135790');
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });

    const window = await authenticator.nextApproval();
    await window.fill({ number: signin.number });
    for (let attempt = 1; attempt <= 4; attempt++) {
      await window.decide('approve', { pin: '000000' });
      await expect(window.error).toHaveAttribute('data-code', 'wrong_pin');
      await expect(window.error).toContainText('Nothing was signed');
      await window.error.evaluate((node) => node.remove());
    }
    expect((await signins.getStatus(signin)).status).toBe('pending');

    await window.decide('approve', { pin: '000000' });
    await expect(window.error).toContainText(/wait (2\d|30) s/);
    // During the delay the PIN field and Approve wait too, and the count goes down.
    await expect(window.pinInput).toBeDisabled();
    await expect(window.page.getByTestId('approve')).toBeDisabled();
    const first = await window.error.textContent();
    await expect(window.error).not.toHaveText(first ?? '');
    await expect(window.error).toContainText(/wait (1\d|2\d) s/);
    // Deny needs no PIN, so it stays open.
    await expect(window.page.getByTestId('deny')).toBeEnabled();
    await expect(window.root).toHaveAttribute('data-state', 'pending');
    expect((await signins.getStatus(signin)).status).toBe('pending');
  });

  test('the delay survives a restart of the service worker', async ({ relay, authenticator }) => {
    await authenticator.setPin('135790');
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    for (let attempt = 1; attempt <= 5; attempt++) {
      await window.decide('approve', { number: signin.number, pin: '999999' });
      await expect(window.error).toHaveAttribute('data-code', 'wrong_pin');
      await window.error.evaluate((node) => node.remove());
    }
    await authenticator.stopServiceWorker();
    // A fresh window after the restart still waits: the delay is kept in the extension's database.
    await window.page.reload();
    await expect(window.error).toHaveAttribute('data-code', 'locked');
    await expect(window.error).toContainText(/Try again in \d+ s/);
    await expect(window.pinInput).toBeDisabled();
    expect((await signins.getStatus(signin)).status).toBe('pending');
  });
});
