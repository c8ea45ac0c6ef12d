import { AdminClient } from '../../../testing/admin-client.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';
import { ClientAt } from '../../security/helpers/client-at.ts';
import { SignInPage, setMatchMode } from './relay-pages.ts';

/**
 * The small things Microsoft Authenticator does for its person, in the extension:
 * the approval window gets out of the way after an outcome, "It wasn't me" asks once, one date
 * format on both sides, every field styled, no number looking chosen before it is, the pairing
 * form done with after a pairing, and accounts in the order added with their relay named.
 */

/** The browser's locale format of protocol/display-time.ts (headless Chromium here speaks en-US): "Dec 6, 2026, 10:45 PM UTC". */
const EN_US_DATE_TIME = /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} (AM|PM) \S+$/;

test.describe("Authenticator's manners", () => {
  test('the approval window closes itself a moment after an approval; the outcome stays in the popup', async ({
    page,
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signIn = new SignInPage(page, relay);
    const number = await signIn.start('alice@demo.test');
    const window = await authenticator.nextApproval();
    const closed = window.page.waitForEvent('close', { timeout: 10_000 });
    await window.decide('approve', { number, pin: authenticator.pin });
    expect(await window.outcome()).toBe('approved');
    await expect(window.page.getByTestId('closing-note')).toBeVisible();
    await signIn.expectSignedIn('alice@demo.test');
    await closed;

    const popup = await authenticator.openPopup();
    await expect(popup.page.locator('[data-testid=activity-signin][data-outcome=approved]')).toHaveCount(1);
  });

  test('requests that arrive together share one approval window, which shows each in turn and how many wait', async ({
    startRelay,
    authenticator,
  }) => {
    const relay = await startRelay({ env: { TRUST_PROXY: '1' } });
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    // Three browsers, at three addresses so none supersedes another, ask at the same moment.
    const addresses = ['198.51.100.11', '198.51.100.12', '198.51.100.13'];
    const started = await Promise.all(addresses.map((ip) => new ClientAt(relay.origin, ip).startSignin({ upn: 'alice@demo.test' })));
    expect(started.map((answer) => answer.status)).toEqual([201, 201, 201]);
    const popup = await authenticator.openPopup();
    await expect(popup.page.getByTestId('pending-request')).toHaveCount(3);
    await popup.page.close();

    const approvalPages = () => authenticator.context.pages().filter((page) => page.url().includes('/approve.html'));
    const window = await authenticator.nextApproval();
    for (let left = 2; left >= 0; left--) {
      // The person sees that more are waiting, as a flood of requests should be noticed.
      if (left > 0)
        await expect(window.page.getByTestId('more-waiting')).toHaveText(
          `${left} more sign-in ${left === 1 ? 'request is' : 'requests are'} waiting after this one.`,
        );
      else await expect(window.page.getByTestId('more-waiting')).toHaveCount(0);
      // Counted while a request waits: after the last outcome the window closes itself.
      expect(approvalPages()).toHaveLength(1);
      await window.decide('deny');
      expect(await window.outcome()).toBe('denied');
      if (left === 0) break;
      await window.page.getByTestId('next-request').click();
      await expect(window.root).toHaveAttribute('data-state', 'pending');
    }
  });

  test('"It wasn\'t me" asks once; Cancel sends nothing, Report reports', async ({ page, relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signIn = new SignInPage(page, relay);
    await signIn.start('alice@demo.test');
    const window = await authenticator.nextApproval();

    await window.page.getByTestId('report').click();
    const dialog = window.page.getByTestId('report-confirm-dialog');
    await expect(dialog).toHaveText(/Report this sign-in as suspicious\? Requests to your account will be paused\./);
    await expect(window.page.getByTestId('report-confirm')).toBeFocused();
    await window.page.getByTestId('report-cancel').click();
    await expect(dialog).toHaveCount(0);
    await expect(window.root).toHaveAttribute('data-state', 'pending');
    await signIn.expectState('pending');

    await window.page.getByTestId('report').click();
    await window.page.getByTestId('report-confirm').click();
    expect(await window.outcome()).toBe('reported');
    await signIn.expectState('reported');
  });

  test('in "choose from three" no number has the focus when the window opens', async ({ page, relay, authenticator }) => {
    await setMatchMode(relay, 'choose', 2);
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await new SignInPage(page, relay).start('alice@demo.test');
    const window = await authenticator.nextApproval();
    await expect(window.page.getByTestId('choice')).toHaveCount(3);
    expect(await window.page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)).not.toBe('choice');
  });

  test('dates read the same on both sides: the browser locale, with the time zone', async ({ page, relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signIn = new SignInPage(page, relay);
    const number = await signIn.start('alice@demo.test');
    const window = await authenticator.nextApproval();
    await window.decide('approve', { number, pin: authenticator.pin });
    await signIn.expectSignedIn('alice@demo.test');

    const popup = await authenticator.openPopup();
    await expect(popup.page.getByTestId('activity-time').first()).toHaveText(EN_US_DATE_TIME);
    await page.goto(`${relay.origin}/me`);
    await expect(page.getByTestId('signed-in-since')).toHaveText(EN_US_DATE_TIME);
  });

  test('the "Name this authenticator" field is styled as the other fields', async ({ authenticator }) => {
    const popup = await authenticator.openPopup();
    await popup.openAddAccount();
    const look = (testId: string) =>
      popup.page.getByTestId(testId).evaluate((element) => {
        const style = getComputedStyle(element);
        return { border: style.borderTopWidth + ' ' + style.borderTopStyle, radius: style.borderTopLeftRadius, padding: style.paddingLeft };
      });
    expect(await look('device-name-input')).toEqual(await look('pair-pin'));
    expect((await look('device-name-input')).radius).toBe('8px');
  });

  test('after a pairing the form closes, the next one starts afresh, and accounts list in the order added with their relay', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin();
    const admin = new AdminClient(relay.origin, relay.adminToken);
    const popup = await authenticator.openPopup();
    await popup.openAddAccount();
    await popup.page.getByTestId('pairing-link-input').fill((await admin.createPairing('bob@demo.test')).link);
    await popup.page.getByTestId('device-name-input').fill('Work laptop');
    await popup.submitPairing(authenticator.pin);
    await expect(popup.page.getByTestId('add-account-form')).toHaveCount(0);
    await expect(popup.page.getByTestId('pair-message')).toHaveText('Added bob@demo.test as “Work laptop”.');

    await popup.openAddAccount();
    await expect(popup.page.getByTestId('pair-message')).toHaveCount(0);
    await expect(popup.page.getByTestId('device-name-input')).not.toHaveValue('Work laptop');
    await popup.page.getByTestId('pairing-link-input').fill((await admin.createPairing('alice@demo.test')).link);
    await popup.submitPairing(authenticator.pin);

    await expect(popup.page.getByTestId('account')).toHaveCount(2);
    expect(await popup.page.getByTestId('account').evaluateAll((items) => items.map((item) => item.getAttribute('data-upn')))).toEqual([
      'bob@demo.test',
      'alice@demo.test',
    ]);
    await expect(popup.account('alice@demo.test').getByTestId('account-relay')).toHaveText(`Countersign (${new URL(relay.origin).host})`);
  });
});
