import type { Page } from '@playwright/test';
import { startSampleApp } from '../../../examples/sample-app/server.ts';
import { freePort } from '../../integration/conformance/relay-process.ts';
import type { OidcApp } from '../../../testing/oidc-app.ts';
import { expect } from '../../../testing/playwright-fixture.ts';

/** The sample app of examples/, registered on the test's relay by `register` (the QA kit's oidcApp() or registerOidcApp()). */
export async function startRegisteredSampleApp(register: (options: { redirectUri: string; name: string }) => Promise<OidcApp>) {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const registered = await register({ redirectUri: `${appUrl}/callback`, name: 'Expense Reports' });
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
export async function startAtTheApp(page: Page, appUrl: string, upn: string): Promise<string> {
  await page.goto(appUrl);
  await page.getByTestId('app-login').click();
  await expect(page.getByText('to continue to Expense Reports')).toBeVisible();
  await page.locator('input[name=upn]').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  const number = page.getByTestId('match-number');
  await expect(number).toHaveText(/^[0-9]{2,6}$/);
  return (await number.textContent())!.trim();
}
