import { expect, test } from '../../../testing/playwright-fixture.ts';
import { SignInPage, setMatchMode } from './relay-pages.ts';

test.describe('passwordless sign-in approved in the extension', () => {
  test('type mode: the user types the number and the page ends signed in', async ({ page, relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signIn = new SignInPage(page, relay);
    await signIn.start('alice@demo.test');

    const window = await authenticator.nextApproval();
    await expect(window.page.getByTestId('request-account')).toContainText('alice@demo.test');
    await expect(window.page.getByTestId('request-app')).toHaveText('Countersign Demo');
    await expect(window.numberInput).toHaveAttribute('inputmode', 'numeric');
    await expect(window.numberInput).toHaveAttribute('maxlength', '2');
    await window.decide('approve', { number: (await signIn.matchNumber.textContent())!, pin: authenticator.pin });

    expect(await window.outcome()).toBe('approved');
    await signIn.expectSignedIn('alice@demo.test');
  });

  test('choose mode: the user picks the right one of three numbers', async ({ page, relay, authenticator }) => {
    await setMatchMode(relay, 'choose', 3);
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'bob@demo.test');
    const signIn = new SignInPage(page, relay);
    const number = await signIn.start('bob@demo.test', 'payroll');

    const window = await authenticator.nextApproval();
    const choices = await window.choices();
    expect(choices).toHaveLength(3);
    expect(choices).toContain(number);
    await expect(window.numberInput).toHaveCount(0);
    await window.decide('approve', { number, pin: authenticator.pin });

    expect(await window.outcome()).toBe('approved');
    await signIn.expectSignedIn('bob@demo.test');
  });

  test('works with the keyboard alone', async ({ page, relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signIn = new SignInPage(page, relay);
    const number = await signIn.start('alice@demo.test');

    const window = await authenticator.nextApproval();
    await expect(window.numberInput).toBeFocused();
    await window.page.keyboard.type(number);
    await window.page.keyboard.press('Tab');
    await window.page.keyboard.type(authenticator.pin!);
    await window.page.keyboard.press('Enter');

    expect(await window.outcome()).toBe('approved');
    await signIn.expectSignedIn('alice@demo.test');
  });
});
