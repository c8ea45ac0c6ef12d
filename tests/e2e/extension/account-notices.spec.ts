import { buildPairingLink, randomId } from '../../../protocol/index.ts';
import { AdminClient } from '../../../testing/admin-client.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';
import { SecurityInfoPage } from './relay-pages.ts';

// The service worker's own globals, as seen inside worker.evaluate().
declare const chrome: { notifications: { getAll(): Promise<Record<string, boolean>> } };

test.describe('what the person is told about their accounts', () => {
  test('another authenticator added to or removed from the account shows a notification and a line in the popup', async ({
    relay,
    authenticator,
    launchAuthenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');

    const second = (await launchAuthenticator()).authenticator;
    await second.setPin();
    await second.pairUser(relay, 'alice@demo.test');

    const added = popup.page.locator('[data-testid=activity-notice][data-kind=authenticator_added]');
    await expect(added).toContainText("A new authenticator, 'Chromium on Linux', was added to alice@demo.test");
    const worker = await authenticator.serviceWorker();
    await expect
      .poll(() =>
        worker.evaluate(() =>
          chrome.notifications.getAll().then((all) => Object.keys(all).filter((id) => id.startsWith('notice-')).length),
        ),
      )
      .toBe(1);

    const admin = new AdminClient(relay.origin, relay.adminToken);
    const own = ((await authenticator.readDatabase()).accounts ?? []).map((account) => account.deviceId);
    const other = (await admin.getUser('alice@demo.test')).devices.find((device) => !own.includes(device.deviceId))!;
    await admin.revokeDevice(other.deviceId);
    await expect(popup.page.locator('[data-testid=activity-notice][data-kind=authenticator_removed]')).toContainText(
      "The authenticator 'Chromium on Linux' was removed from alice@demo.test",
    );
    // This browser's own account is untouched.
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
  });

  test('a link to an http relay that is not on this computer is refused, in words', async ({ authenticator }) => {
    await authenticator.setPin();
    const popup = await authenticator.openPopup();
    const link = buildPairingLink({ relayOrigin: 'http://relay.example.com', token: randomId(), upn: 'alice@example.com' });
    await expect(popup.pair(link, authenticator.pin)).rejects.toThrow(/not use|without a secure \(https\) connection/);
    await expect(popup.page.getByTestId('pair-message')).not.toContainText('insecure_relay');
    await expect(popup.page.getByTestId('account')).toHaveCount(0);
  });

  test('an account from before revision 2 is shown as needing to be added again, with the way there and a way to remove it', async ({
    page,
    relay,
    authenticator,
    context,
  }) => {
    // Signed in on the relay in this browser, so its security info page opens as the person would see it.
    await new SecurityInfoPage(page, relay).open('bob@demo.test');
    await authenticator.setPin();
    // What the version 3 migration leaves of a revision 1 account (the migration itself: tests/unit/extension/db.test.ts).
    const worker = await authenticator.serviceWorker();
    const deviceId = randomId();
    await worker.evaluate(
      ({ deviceId, relayOrigin }) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('countersign');
          open.onerror = () => reject(open.error ?? new Error('indexedDB open failed'));
          open.onsuccess = () => {
            const tx = open.result.transaction('accounts', 'readwrite');
            tx.objectStore('accounts').put({
              status: 'needs_re_add',
              deviceId,
              relayOrigin,
              relayName: 'Countersign',
              userId: 'u-1',
              upn: 'bob@demo.test',
              displayName: 'Bob Example',
              deviceName: 'Chromium on Linux',
              publicKey: 'old',
              createdAt: 1,
              retiredAt: 2,
            });
            tx.oncomplete = () => (open.result.close(), resolve());
            tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
          };
        }),
      { deviceId, relayOrigin: relay.origin },
    );

    const popup = await authenticator.openPopup();
    const entry = popup.account('bob@demo.test');
    await expect(entry).toHaveAttribute('data-status', 'needs_re_add');
    await expect(entry.getByTestId('needs-re-add')).toHaveText('needs to be added again');

    const opened = context.waitForEvent('page');
    await entry.getByTestId('open-security-info').click();
    const tab = await opened;
    await expect(tab).toHaveURL(`${relay.origin}/security-info`);
    await expect(new SecurityInfoPage(tab, relay).devices()).toHaveCount(0);

    await entry.getByTestId('remove-account').click();
    await expect(entry).toHaveCount(0);
    expect(((await authenticator.readDatabase()).accounts ?? []).map((account) => account.deviceId)).not.toContain(deviceId);
  });
});
