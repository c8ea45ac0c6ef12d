import type { Page } from '@playwright/test';
import type { OidcApp, OidcAppOptions } from '../../../testing/oidc-app.ts';
import { startRegisteredSampleApp as startWithKit, startSignInAtApp } from '../../../testing/sample-app.ts';

// The QA kit's sample-app helpers (testing/sample-app.ts), as these specs have always called them.

/** The sample app of examples/, registered on the test's relay by `register` (the QA kit's oidcApp() or registerOidcApp()). */
export function startRegisteredSampleApp(register: (options: OidcAppOptions) => Promise<OidcApp>) {
  return startWithKit(register, { name: 'Expense Reports' });
}

/** From the app's "Sign in" to the relay's number, typed as a person would. */
export function startAtTheApp(page: Page, appUrl: string, upn: string): Promise<string> {
  return startSignInAtApp(page, { url: appUrl, registered: { name: 'Expense Reports' } }, upn);
}
