import type { Page } from '@playwright/test';
import type { Clock } from '../../../relay-server/clock.ts';
import { startTeamDashboard } from '../../../examples/team-dashboard/server.ts';
import { expect, test, type Authenticator } from '../../../testing/playwright-fixture.ts';
import { startCaddy, startNginx, type RunningProxy } from '../../../testing/reverse-proxies.ts';
import type { RunningRelay } from '../../../testing/start-relay.ts';

/**
 * Forward auth end to end (docs/protocol.md section 10): real Chromium with the extension goes to
 * the Team Dashboard behind real nginx and Caddy (configured from examples/forward-auth/), signs
 * in on the relay, approves in the extension and comes back. The relay's own host (127.0.0.1) is
 * the rule host, as it is without COOKIE_DOMAIN; cookies ignore ports, so the site shares it.
 */

/**
 * Real time that a test can shift (the relay's clock injection). The extension signs with its own
 * clock and the relay refuses decisions more than 60 s off (docs/protocol.md section 4), so a test
 * keeps the shift within that while approving.
 */
class ShiftedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  shift(ms: number): void {
    this.offset = ms;
  }
}

async function putRules(relay: RunningRelay, rules: unknown[]) {
  const response = await fetch(`${relay.origin}/api/v1/admin/forward-auth`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${relay.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rules }),
  });
  expect(response.status).toBe(200);
}

/** From the protected site to the sign-in page, then the approval in the extension. */
async function signInAtTheSite(page: Page, authenticator: Authenticator, siteUrl: string, upn: string): Promise<void> {
  await page.goto(siteUrl);
  await expect(page).toHaveURL(/\/signin\?/);
  await page.locator('input[name=upn]').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  await authenticator.approveNext({ page });
}

for (const [name, start] of [
  ['nginx', startNginx],
  ['Caddy', startCaddy],
] as const) {
  test.describe(`a site behind ${name} asks Countersign (forward auth)`, () => {
    let app: Awaited<ReturnType<typeof startTeamDashboard>>;
    let proxy: RunningProxy;
    const clock = new ShiftedClock();

    test.beforeEach(async () => {
      clock.shift(0);
      app = await startTeamDashboard();
    });
    test.afterEach(async () => {
      await proxy?.stop();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
    });

    async function protectedSite(relay: RunningRelay, rule: Record<string, unknown>): Promise<string> {
      await putRules(relay, [{ host: '127.0.0.1', ...rule }]);
      proxy = await start({ hosts: ['127.0.0.1'], app: `127.0.0.1:${app.port}`, relay: new URL(relay.origin).host });
      return `${proxy.url('127.0.0.1')}/projects?view=board`;
    }

    test('a signed-out person signs in with the extension and lands back on the site, which knows them', async ({
      page,
      startRelay,
      authenticator,
    }) => {
      const relay = await startRelay({ clock });
      const site = await protectedSite(relay, { groups: ['staff'], policy: 'session' });
      await authenticator.setPin();
      await authenticator.pairUser(relay, 'alice@demo.test');
      await signInAtTheSite(page, authenticator, site, 'alice@demo.test');
      await expect(page).toHaveURL(site);
      await expect(page.getByTestId('dashboard-welcome')).toHaveText('Alice Example');
      await expect(page.getByTestId('remote-user')).toHaveText('alice@demo.test');
      await expect(page.getByTestId('remote-groups')).toHaveText('staff');
      // The next visit needs nothing: the forward-auth cookie is there.
      await page.goto(`${proxy.url('127.0.0.1')}/`);
      await expect(page.getByTestId('remote-user')).toHaveText('alice@demo.test');
    });

    test('a person outside the rule’s groups gets the 403 page', async ({ page, startRelay, authenticator }) => {
      const relay = await startRelay({ clock });
      const site = await protectedSite(relay, { groups: ['staff'], policy: 'session' });
      await authenticator.setPin();
      await authenticator.pairUser(relay, 'admin@demo.test');
      await signInAtTheSite(page, authenticator, site, 'admin@demo.test');
      // Back on the site, which the proxy refuses: nginx's own 403 page, or the relay's through Caddy.
      await expect(page).toHaveURL(site, { timeout: 20_000 });
      await expect(page.locator('h1')).toHaveText(name === 'nginx' ? '403 Forbidden' : 'Access denied');
      await expect(page.getByTestId('remote-user')).toHaveCount(0);
    });

    test('an approval rule asks for a push again after its max age, even inside the session', async ({
      page,
      startRelay,
      authenticator,
    }) => {
      const relay = await startRelay({ clock });
      const site = await protectedSite(relay, { groups: ['staff'], policy: 'approval', maxAgeSeconds: 30 });
      await authenticator.setPin();
      await authenticator.pairUser(relay, 'alice@demo.test');
      await signInAtTheSite(page, authenticator, site, 'alice@demo.test');
      await expect(page.getByTestId('remote-user')).toHaveText('alice@demo.test');

      // 31 s later for the relay (within the 60 s the extension's decisions may be off by).
      clock.shift(31_000);
      await page.goto(site);
      // Back on the sign-in page inside the session, with the name filled in: one more approval.
      await expect(page).toHaveURL(/\/signin\?.*step_up=1/);
      await expect(page.locator('input[name=upn]')).toHaveValue('alice@demo.test');
      await page.getByRole('button', { name: 'Next' }).click();
      await authenticator.approveNext({ page });
      await expect(page).toHaveURL(site);
      await expect(page.getByTestId('remote-user')).toHaveText('alice@demo.test');
    });
  });
}
