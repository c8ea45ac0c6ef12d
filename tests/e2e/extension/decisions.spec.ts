import { expect, test } from '../../../testing/playwright-fixture.ts';
import { SignInPage } from './relay-pages.ts';

test.describe('refusals are seen on both sides', () => {
  test.beforeEach(async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
  });

  test('a wrong number', async ({ page, relay, authenticator }) => {
    const signIn = new SignInPage(page, relay);
    const number = await signIn.start('alice@demo.test');
    const wrong = String((Number(number) + 1) % 100).padStart(2, '0');
    const window = await authenticator.approveNext({ number: wrong });
    expect(await window.outcome()).toBe('wrong_number');
    await signIn.expectState('wrong_number');
  });

  test('deny', async ({ page, relay, authenticator }) => {
    const signIn = new SignInPage(page, relay);
    await signIn.start('alice@demo.test');
    const window = await authenticator.denyNext();
    expect(await window.outcome()).toBe('denied');
    await signIn.expectState('denied');
  });

  test('"It wasn\'t me"', async ({ page, relay, authenticator }) => {
    const signIn = new SignInPage(page, relay);
    await signIn.start('alice@demo.test');
    const window = await authenticator.reportNext();
    expect(await window.outcome()).toBe('reported');
    await signIn.expectState('reported');
  });
});
