import { createServer } from 'node:net';
import { startSampleApp } from '../../../examples/sample-app/server.ts';
import { expect, test, type Authenticator } from '../../../testing/playwright-fixture.ts';
import type { OidcApp } from '../../../testing/oidc-app.ts';
import type { Page } from '@playwright/test';

/** A port nothing listens on right now (loopback), for the sample app's registered redirect URI. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** The sample app of examples/, registered on the test's relay through the QA kit's oidcApp(). */
async function sampleApp(oidcApp: (options: { redirectUri: string; name: string }) => Promise<OidcApp>) {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const registered = await oidcApp({ redirectUri: `${appUrl}/callback`, name: 'Expense Reports' });
  const app = await startSampleApp({
    issuer: registered.issuer,
    clientId: registered.clientId,
    clientSecret: registered.clientSecret!,
    port,
    appUrl,
  });
  return { ...app, registered };
}

/** From the app's "Sign in" to the relay's number, typed as a person would. */
async function startAtTheApp(page: Page, appUrl: string, upn: string): Promise<string> {
  await page.goto(appUrl);
  await page.getByTestId('app-login').click();
  await expect(page.getByText('to continue to Expense Reports')).toBeVisible();
  await page.locator('input[name=upn]').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  const number = page.getByTestId('match-number');
  await expect(number).toHaveText(/^[0-9]{2,6}$/);
  return (await number.textContent())!.trim();
}

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
    const app = await sampleApp(oidcApp);
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

  test('a denial in the extension sends the person back to the app with access_denied', async ({ page, relay, authenticator, oidcApp }) => {
    await paired(authenticator, relay);
    const app = await sampleApp(oidcApp);
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
