import { createServer } from 'node:net';
import type { Page } from '@playwright/test';
import { startSampleApp, type SampleAppOptions } from '../examples/sample-app/server.ts';
import type { OidcApp, OidcAppOptions } from './oidc-app.ts';
import { runningPlaywright } from './running-playwright.ts';

export { startSampleApp, type SampleAppOptions };

/** The sample app (examples/sample-app), running and registered on a relay. */
export interface RunningSampleApp {
  /** Where the browser opens it, e.g. http://127.0.0.1:40123 (its /callback is the registered redirect URI). */
  url: string;
  /** The app as the relay knows it: client id and secret, issuer, name. */
  registered: OidcApp;
  close(): Promise<void>;
}

/** A port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Registers the sample app with `register` (the fixture's `oidcApp`, or `registerOidcApp` bound to
 * a relay) under `name` on a free port, and starts it: an OpenID Connect app to sign in to.
 */
export async function startRegisteredSampleApp(
  register: (options: OidcAppOptions) => Promise<OidcApp>,
  options: { name?: string } = {},
): Promise<RunningSampleApp> {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  // Its home is where "Sign out" returns (RP-initiated logout to a registered post-logout URI).
  const registered = await register({
    redirectUri: `${appUrl}/callback`,
    postLogoutRedirectUris: [`${appUrl}/`],
    name: options.name ?? 'Expense Reports',
  });
  if (!registered.clientSecret) throw new Error('the sample app is a confidential client: register it without public: true');
  const app = await startSampleApp({
    issuer: registered.issuer,
    clientId: registered.clientId,
    clientSecret: registered.clientSecret,
    port,
    appUrl,
  });
  return { url: app.url, registered, close: () => app.close() };
}

/**
 * From the app's "Sign in with Countersign" to the number on the relay's sign-in page, as a person
 * does it; returns the number to approve. Each step waits for the page it acts on.
 */
export async function startSignInAtApp(page: Page, app: { url: string; registered: Pick<OidcApp, 'name'> }, upn: string): Promise<string> {
  const { expect } = runningPlaywright();
  await page.goto(app.url);
  await page.getByTestId('app-login').click();
  await expect(page.getByText(`to continue to ${app.registered.name}`)).toBeVisible();
  await page.locator('input[name=upn]').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  const number = page.getByTestId('match-number');
  await expect(number).toHaveText(/^[0-9]{2,6}$/);
  return (await number.textContent())!.trim();
}
