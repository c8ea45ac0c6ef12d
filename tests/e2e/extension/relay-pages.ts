import { expect, type Locator, type Page } from '@playwright/test';
import { AdminClient } from '../../../testing/admin-client.ts';
import type { RelayHandle } from '../../../testing/playwright-fixture.ts';

/** The relay's sign-in page (docs/contracts.md), as the person signing in sees it. */
export class SignInPage {
  constructor(
    readonly page: Page,
    readonly relay: RelayHandle,
  ) {}

  get matchNumber(): Locator {
    return this.page.getByTestId('match-number');
  }
  get status(): Locator {
    return this.page.getByTestId('signin-status');
  }

  /** Asks for a passwordless sign-in and waits until the number is shown. */
  async start(upn: string, app = 'demo'): Promise<string> {
    await this.page.goto(`${this.relay.origin}/signin?app=${app}`);
    const form = this.page.getByTestId('upn-form');
    await form.locator('input[name=upn]').fill(upn);
    await form.getByRole('button', { name: 'Next' }).click();
    await expect(this.matchNumber).toHaveText(/^[0-9]{2,6}$/);
    return (await this.matchNumber.textContent())!.trim();
  }

  async expectState(state: string): Promise<void> {
    await expect(this.status).toHaveAttribute('data-state', state);
  }

  async expectSignedIn(upn: string): Promise<void> {
    await expect(this.page.getByTestId('signed-in-as')).toHaveText(upn);
  }
}

/** The security info page, reached by signing in with a password (no device yet). */
export class SecurityInfoPage {
  constructor(
    readonly page: Page,
    readonly relay: RelayHandle,
  ) {}

  async open(upn: string, password = 'countersign-demo'): Promise<void> {
    await this.page.goto(`${this.relay.origin}/signin/password?upn=${encodeURIComponent(upn)}`);
    await this.page.locator('input[name=password]').fill(password);
    await this.page.locator('input[name=password]').press('Enter');
    await expect(this.page.getByTestId('signed-in-as')).toHaveText(upn);
    await this.page.goto(`${this.relay.origin}/security-info`);
    await expect(this.page.getByTestId('device-list')).toBeAttached();
  }

  /** Asks for a pairing; returns the link (the QR code is then on the page too). */
  async addAuthenticator(): Promise<string> {
    await this.page.getByTestId('add-authenticator').click();
    await expect(this.page.getByTestId('pairing-qr')).toBeVisible();
    return this.page.getByTestId('pairing-link').inputValue();
  }

  /** Opens the page again (a reload would re-post the pairing form and ask for a new pairing). */
  async reopen(): Promise<void> {
    await this.page.goto(`${this.relay.origin}/security-info`);
    await expect(this.page.getByTestId('device-list')).toBeAttached();
  }

  devices(): Locator {
    return this.page.locator('li[data-testid=device]');
  }
}

export async function setMatchMode(relay: RelayHandle, mode: 'type' | 'choose', digits = 2): Promise<void> {
  const admin = new AdminClient(relay.origin, relay.adminToken);
  const policy = await admin.getPolicy();
  await admin.putPolicy({ ...policy, match: { mode, digits } });
}
