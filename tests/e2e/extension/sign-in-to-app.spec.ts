import { expect, test, type Authenticator } from '../../../testing/playwright-fixture.ts';
import { startAtTheApp, startRegisteredSampleApp } from './sample-app-journey.ts';

async function paired(authenticator: Authenticator, relay: { origin: string; adminToken: string }) {
  await authenticator.setPin();
  await authenticator.pairUser(relay, 'alice@demo.test');
}

test.describe('an app signs its users in through Countersign (OpenID Connect)', () => {
  test('the sample app sends the person to the sign-in page, the extension approves, and the app has them signed in', async ({
    page,
    relay,
    authenticator,
    oidcApp,
  }) => {
    await paired(authenticator, relay);
    const app = await startRegisteredSampleApp(oidcApp);
    try {
      const number = await startAtTheApp(page, app.url, 'alice@demo.test');
      const window = await authenticator.nextApproval();
      await expect(window.page.getByTestId('request-app')).toHaveText('Expense Reports');
      await window.decide('approve', { number, pin: authenticator.pin });
      await expect(page.getByTestId('app-welcome')).toContainText('Alice Example');
      await expect(page).toHaveURL(`${app.url}/`);
      const claims = JSON.parse((await page.getByTestId('app-claims').textContent())!) as Record<string, unknown>;
      expect(claims).toMatchObject({
        iss: relay.origin,
        aud: app.registered.clientId,
        preferred_username: 'alice@demo.test',
        amr: ['swk', 'pin', 'mfa'],
      });
    } finally {
      await app.close();
    }
  });

  test('signing out of the sample app goes through Countersign and back to the app’s home: "You signed out"', async ({
    page,
    relay,
    authenticator,
    oidcApp,
  }) => {
    await paired(authenticator, relay);
    const app = await startRegisteredSampleApp(oidcApp);
    try {
      const number = await startAtTheApp(page, app.url, 'alice@demo.test');
      const window = await authenticator.nextApproval();
      await window.decide('approve', { number, pin: authenticator.pin });
      await expect(page.getByTestId('app-welcome')).toContainText('Alice Example');
      await page.getByRole('link', { name: 'Sign out' }).click();
      await expect(page.getByText('Expense Reports asks to sign you out of Countersign.')).toBeVisible();
      await page.getByTestId('confirm-logout').click();
      await expect(page.getByTestId('app-signed-out')).toHaveText('You signed out.');
      expect(new URL(page.url()).pathname).toBe('/');
      expect(new URL(page.url()).origin).toBe(app.url);
      // Signed out of Countersign too: signing in again asks for an approval.
      await page.getByTestId('app-login').click();
      await expect(page.getByText('to continue to Expense Reports')).toBeVisible();
    } finally {
      await app.close();
    }
  });

  test('a denial in the extension sends the person back to the app with access_denied', async ({ page, relay, authenticator, oidcApp }) => {
    await paired(authenticator, relay);
    const app = await startRegisteredSampleApp(oidcApp);
    try {
      await startAtTheApp(page, app.url, 'alice@demo.test');
      const window = await authenticator.nextApproval();
      await window.decide('deny');
      await expect(page.getByTestId('app-error')).toHaveText('The sign-in was denied or cancelled, so you are not signed in.');
      expect(new URL(page.url()).origin).toBe(app.url);
    } finally {
      await app.close();
    }
  });
});
