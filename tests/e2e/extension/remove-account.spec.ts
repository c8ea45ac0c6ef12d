import { AdminClient } from '../../../testing/admin-client.ts';
import { DEFAULT_PIN, addVirtualAuthenticator, expect, test } from '../../../testing/playwright-fixture.ts';

/**
 * Removing an account in the popup unregisters it (docs/protocol.md section 4 `remove`): the PIN
 * unlocks the approval key that signs it, the relay stops listing the authenticator, and the
 * person's next sign-in says there is no authenticator instead of waiting for one that is gone.
 * Without the relay or the PIN, the account is forgotten here and the popup says where to finish.
 */
test.describe('removing an account', () => {
  test('with the PIN tells the relay: it no longer lists the device, and the next sign-in says no authenticator', async ({
    page,
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');
    const admin = new AdminClient(relay.origin, relay.adminToken);
    expect((await admin.getUser('bob@demo.test')).devices).toHaveLength(1);

    const popup = await authenticator.openPopup();
    const bob = popup.account('bob@demo.test');
    await bob.getByTestId('remove-account').click();
    await expect(bob.getByTestId('remove-consequence')).toHaveText(/^Bob .*’s sign-ins will no longer come here; the relay is told\.$/);
    await expect(bob.getByTestId('remove-confirm-yes')).toBeDisabled();

    // A wrong PIN removes nothing.
    await bob.getByTestId('remove-pin').fill('000000');
    await bob.getByTestId('remove-confirm-yes').click();
    await expect(bob.getByTestId('remove-problem')).toBeVisible();
    await expect(bob).toHaveCount(1);
    expect((await admin.getUser('bob@demo.test')).devices).toHaveLength(1);

    await bob.getByTestId('remove-pin').fill(DEFAULT_PIN);
    await bob.getByTestId('remove-confirm-yes').click();
    await expect(bob).toHaveCount(0);
    await expect(popup.page.getByTestId('removal-message')).toHaveAttribute('data-relay-told', 'true');
    await expect(popup.page.getByTestId('removal-message')).toContainText('Removed bob@demo.test.');
    expect((await admin.getUser('bob@demo.test')).devices).toEqual([]);
    expect(((await authenticator.readDatabase()).accounts ?? []).map((account) => account.upn)).toEqual(['alice@demo.test']);
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');

    await page.goto(`${relay.origin}/signin?app=demo`);
    await page.getByLabel('Email or username').fill('bob@demo.test');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('signin-status')).toHaveAttribute('data-code', 'no_push_method');
    await expect(page.getByTestId('signin-status')).toContainText('No authenticator is set up for this account');
  });

  test('with biometric unlock (WebAuthn) instead of the PIN: the relay is told', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    // The virtual authenticator belongs to this tab, where the popup runs the ceremony.
    await addVirtualAuthenticator(popup.page);
    await popup.page.getByTestId('biometric-pin').fill(DEFAULT_PIN);
    await popup.page.getByTestId('biometric-enable').click();
    await expect(popup.page.getByTestId('biometric')).toHaveAttribute('data-state', 'on');

    const alice = popup.account('alice@demo.test');
    await alice.getByTestId('remove-account').click();
    await alice.getByTestId('remove-biometric').click();
    await expect(alice).toHaveCount(0);
    await expect(popup.page.getByTestId('removal-message')).toHaveAttribute('data-relay-told', 'true');
    expect((await new AdminClient(relay.origin, relay.adminToken).getUser('alice@demo.test')).devices).toEqual([]);
  });

  test('with the PIN forgotten: forgotten here only, and the popup links to the relay’s security info page', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    const alice = popup.account('alice@demo.test');
    await alice.getByTestId('remove-account').click();
    await alice.getByTestId('remove-confirm-no').click();
    await expect(alice.getByTestId('remove-confirm')).toHaveCount(0);
    await alice.getByTestId('remove-account').click();
    await alice.getByTestId('remove-here-only').click();
    await expect(alice).toHaveCount(0);
    const message = popup.page.getByTestId('removal-message');
    await expect(message).toHaveAttribute('data-relay-told', 'false');
    await expect(message).toContainText('Removed alice@demo.test from this browser only.');
    await expect(message.getByTestId('removal-security-info')).toHaveAttribute('href', `${relay.origin}/security-info`);
    // The relay still lists it, as the popup says.
    expect((await new AdminClient(relay.origin, relay.adminToken).getUser('alice@demo.test')).devices).toHaveLength(1);
  });

  test('with the relay unreachable: forgotten here, and the popup says the relay could not be told', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
    await relay.stop();
    const alice = popup.account('alice@demo.test');
    await alice.getByTestId('remove-account').click();
    await alice.getByTestId('remove-pin').fill(DEFAULT_PIN);
    await alice.getByTestId('remove-confirm-yes').click();
    await expect(alice).toHaveCount(0, { timeout: 20_000 });
    const message = popup.page.getByTestId('removal-message');
    await expect(message).toHaveAttribute('data-relay-told', 'false');
    await expect(message).toContainText('could not be reached');
    await expect(message.getByTestId('removal-security-info')).toHaveAttribute('href', `${relay.origin}/security-info`);
    expect((await authenticator.readDatabase()).accounts ?? []).toEqual([]);
  });
});
