import { expect, readSigninCode, test } from '../../../testing/playwright-fixture.ts';
import { ManualClock } from '../../../relay-server/clock.ts';
import { fillUnfamiliarSlots } from './strangers.ts';

/**
 * Sign-in by code (docs/protocol.md section 5) in real Chromium: the person is at a browser the
 * relay has never seen while strangers hold every pending slot for unfamiliar clients, so a push
 * is refused; the page's code, typed into the extension's popup, opens the request there with its
 * context, and the PIN approves it.
 */

const UPN = 'alice@demo.test';
const NEW_BROWSER_IP = '203.0.113.77';

test.describe('sign-in by code', () => {
  test('a person at a new browser signs in by typing the page’s code into the extension while three strangers hold the slots', async ({
    startRelay,
    authenticator,
    browser,
  }) => {
    const relay = await startRelay({ env: { TRUST_PROXY: '1' } });
    await authenticator.setPin();
    await authenticator.pairUser(relay, UPN);
    const strangers = await fillUnfamiliarSlots(relay.origin, UPN);

    // A browser of its own (no familiar cookie), behind the relay's proxy at an address of its own.
    const newBrowser = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': NEW_BROWSER_IP } });
    try {
      const page = await newBrowser.newPage();
      await page.goto(`${relay.origin}/signin?app=demo`);
      await page.locator('input[name=upn]').fill(UPN);
      await page.getByRole('button', { name: 'Next' }).click();
      // The push is refused (the strangers hold the slots), and the page says what works.
      await expect(page.getByTestId('signin-status')).toContainText('paused');
      await page.getByTestId('code-link').click();
      const code = await readSigninCode(page);

      // A mistyped code opens nothing and says so.
      const wrong = `${code.slice(0, 7)}${(Number(code[7]) + 1) % 10}`;
      const refused = await authenticator.enterCode(wrong);
      expect(refused).toMatchObject({ ok: false, code: 'not_found' });
      expect(refused.text).toContain('That code is not waiting on any of your accounts. Check the 8 digits on the sign-in page.');

      // Typed as the page shows it, with the space.
      const entered = await authenticator.enterCode(`${code.slice(0, 4)} ${code.slice(4)}`);
      expect(entered.ok, entered.text).toBe(true);
      const window = await authenticator.nextApproval();
      // The request's context before anything is approved: app, place, browser, and the code itself.
      await expect(window.code).toHaveText(`${code.slice(0, 4)} ${code.slice(4)}`);
      await expect(window.page.getByTestId('request-app')).toHaveText('Countersign Demo');
      await expect(window.page.getByTestId('request-ip')).toHaveText(NEW_BROWSER_IP);
      await expect(window.page.getByTestId('request-location')).not.toBeEmpty();
      await expect(window.page.getByTestId('request-browser')).toContainText('Chrome');
      await expect(window.numberInput).toHaveCount(0);
      await expect(window.page.getByTestId('approve')).toBeDisabled();

      await window.decide('approve', { pin: authenticator.pin });
      expect(await window.outcome()).toBe('approved');
      await expect(page.getByTestId('signed-in-as')).toHaveText(UPN);

      // Nothing was taken from the strangers either: their requests still wait.
      for (const stranger of strangers) expect(await stranger.client.status(stranger)).toBe('pending');
    } finally {
      await newBrowser.close();
    }
  });

  test('a claimed code that expires ends in the window, and typed again it opens nothing', async ({ startRelay, authenticator, page }) => {
    // The relay's clock moves only when told, so no test waits 2 minutes.
    const clock = new ManualClock(Date.now());
    const relay = await startRelay({ clock });
    await authenticator.setPin();
    await authenticator.pairUser(relay, UPN);
    await page.goto(`${relay.origin}/signin?app=demo`);
    await page.locator('input[name=upn]').fill(UPN);
    await page.getByTestId('code-link').click();
    const code = await readSigninCode(page);
    expect((await authenticator.enterCode(code)).ok).toBe(true);
    const window = await authenticator.nextApproval();
    await expect(window.code).toHaveText(`${code.slice(0, 4)} ${code.slice(4)}`);

    clock.advance(121_000);
    await relay.relay.signins.expireDue();
    expect(await window.outcome()).toBe('expired');
    const again = await authenticator.enterCode(code);
    expect(again).toMatchObject({ ok: false, code: 'not_found' });
    expect(again.text).toContain('If the sign-in page says the code expired, start again there for a new one.');
  });

  test('after 10 unknown codes in an hour the relay refuses more, and the popup says to wait', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, UPN);
    const popup = await authenticator.openPopup();
    for (let n = 0; n < 10; n++) expect(await popup.enterCode(`0000 00${String(n).padStart(2, '0')}`)).toMatchObject({ code: 'not_found' });
    const limited = await popup.enterCode('0000 0099');
    expect(limited).toMatchObject({ ok: false, code: 'rate_limited' });
    expect(limited.text).toContain('too many codes that were not waiting');
  });
});
