import { registerOidcApp } from '../../../testing/oidc-app.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';
import { SignInPage } from './relay-pages.ts';
import { startAtTheApp, startRegisteredSampleApp } from './sample-app-journey.ts';
import { floodStreams, sprayPasswords } from './strangers.ts';

/**
 * Issue 18 in real Chromium: while strangers from many addresses spray wrong passwords and hold
 * event streams (TRUST_PROXY=1, X-Forwarded-For on loopback), alice's familiar browser still signs
 * in, on the relay's page and through the sample app: the page works, the approval arrives in the
 * extension, and a session is made. Every attack loop is bounded and stopped at the end.
 */

const UPN = 'alice@demo.test';

test.describe('signing in during a distributed attack', () => {
  test('during a password spray and an event-stream flood from many addresses, alice signs in from her familiar browser and from the sample app', async ({
    startRelay,
    authenticator,
    page,
  }) => {
    test.setTimeout(120_000);
    const relay = await startRelay({ env: { TRUST_PROXY: '1' } });
    await authenticator.setPin();
    await authenticator.pairUser(relay, UPN);
    const app = await startRegisteredSampleApp((options) => registerOidcApp(relay, options));

    // Once before the attack, so this browser holds the relay's familiar-browser cookie.
    const signIn = new SignInPage(page, relay);
    await signIn.start(UPN);
    await authenticator.approveNext({ page });
    await signIn.expectSignedIn(UPN);
    expect((await page.context().cookies(relay.origin)).some((cookie) => cookie.name === 'countersign_familiar')).toBe(true);

    const flood = await floodStreams(relay.origin, UPN, 32, 4);
    const spray = sprayPasswords(relay.origin, [UPN, 'bob@demo.test'], { addresses: 40, concurrency: 8, deadlineMs: 90_000 });
    try {
      expect(flood.held).toBe(128);
      await expect.poll(() => spray.attempts(), { message: 'the spray is under way' }).toBeGreaterThan(16);
      const before = spray.attempts();

      // The relay's own page, signed out but still familiar: a number, the approval in the extension, a session.
      await page.context().clearCookies({ name: 'countersign_session' });
      await signIn.start(UPN);
      await authenticator.approveNext({ page });
      await signIn.expectSignedIn(UPN);

      // The sample app, through OpenID Connect and the same page (signed out of the relay, so it asks for an approval).
      await page.context().clearCookies({ name: 'countersign_session' });
      const number = await startAtTheApp(page, app.url, UPN);
      const window = await authenticator.nextApproval();
      await expect(window.page.getByTestId('request-app')).toHaveText('Expense Reports');
      await window.decide('approve', { number, pin: authenticator.pin });
      await expect(page.getByTestId('app-welcome')).toContainText('Alice Example');

      // The attack was real while she signed in: the spray went on and was never answered "busy".
      const answers = spray.answers();
      expect(spray.attempts()).toBeGreaterThan(before);
      expect(Object.keys(answers).map(Number)).toEqual(expect.arrayContaining([401]));
      expect(answers[503] ?? 0).toBe(0);
      expect(answers[0] ?? 0).toBe(0);
    } finally {
      await spray.stop();
      flood.close();
      await app.close();
    }
  });
});
