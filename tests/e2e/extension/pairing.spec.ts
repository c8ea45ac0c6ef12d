import { expect, test } from '../../../testing/playwright-fixture.ts';
import { SecurityInfoPage } from './relay-pages.ts';

test.describe('pairing from the security info page', () => {
  test('by pasting the link; the device is then listed under its name', async ({ page, relay, authenticator }) => {
    const securityInfo = new SecurityInfoPage(page, relay);
    await securityInfo.open('alice@demo.test');
    const link = await securityInfo.addAuthenticator();

    await authenticator.setPin();
    await authenticator.pair(link);

    await securityInfo.reopen();
    await expect(securityInfo.devices()).toHaveCount(1);
    await expect(securityInfo.devices().first()).toContainText('Chromium on Linux');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
  });

  test('from the pairing link on the page, read by the popup', async ({ page, relay, authenticator }) => {
    const securityInfo = new SecurityInfoPage(page, relay);
    await securityInfo.open('bob@demo.test', 'countersign-demo');
    await securityInfo.addAuthenticator();

    await authenticator.setPin();
    await authenticator.pairFromPage(page);

    await securityInfo.reopen();
    await expect(securityInfo.devices()).toHaveCount(1);
    await expect(securityInfo.devices().first()).toContainText('Chromium on Linux');
  });

  test('a used link is refused with a clear message', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    const { AdminClient } = await import('../../../testing/admin-client.ts');
    const offer = await new AdminClient(relay.origin, relay.adminToken).createPairing('alice@demo.test');
    await authenticator.pair(offer.link);
    const popup = await authenticator.openPopup();
    await expect(popup.pair(offer.link, authenticator.pin)).rejects.toThrow(/already used/);
  });
});
