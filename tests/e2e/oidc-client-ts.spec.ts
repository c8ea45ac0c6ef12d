import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';

const require = createRequire(import.meta.url);
/** oidc-client-ts as browsers load it (its own bundle; nobody here wrote it). */
const LIBRARY = readFileSync(join(dirname(require.resolve('oidc-client-ts/package.json')), 'dist/browser/oidc-client-ts.min.js'), 'utf8');

/**
 * A browser app on another site (http://localhost:PORT while the relay is http://127.0.0.1:PORT),
 * written as the README's oidc-client-ts recipe: a public client with PKCE, renewal with the
 * rotating refresh token (no iframe), and signoutRedirect to a registered post-logout URI.
 */
function appPage(settings: { authority: string; clientId: string; appUrl: string }): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Browser App</title></head><body>
<h1>Browser App</h1>
<p id="status">Loading…</p>
<pre id="user"></pre>
<p id="renewed"></p>
<button id="login">Sign in</button> <button id="renew">Renew</button> <button id="logout">Sign out</button>
<script src="/oidc-client-ts.js"></script>
<script>
const manager = new oidc.UserManager({
  authority: ${JSON.stringify(settings.authority)},
  client_id: ${JSON.stringify(settings.clientId)},
  redirect_uri: ${JSON.stringify(`${settings.appUrl}/callback`)},
  post_logout_redirect_uri: ${JSON.stringify(`${settings.appUrl}/`)},
  response_type: 'code',
  scope: 'openid profile email offline_access',
  automaticSilentRenew: false,
});
const show = (text) => (document.getElementById('status').textContent = text);
async function main() {
  if (location.pathname === '/callback') {
    await manager.signinRedirectCallback();
    history.replaceState(null, '', '/');
  }
  const user = await manager.getUser();
  show(user ? 'Signed in' : 'Signed out');
  document.getElementById('user').textContent = user ? JSON.stringify({ profile: user.profile, refresh: Boolean(user.refresh_token) }) : '';
}
document.getElementById('login').onclick = () => manager.signinRedirect();
document.getElementById('logout').onclick = () => manager.signoutRedirect();
document.getElementById('renew').onclick = async () => {
  const before = await manager.getUser();
  const after = await manager.signinSilent();
  document.getElementById('renewed').textContent = JSON.stringify({
    newAccessToken: after.access_token !== before.access_token,
    rotatedRefreshToken: Boolean(after.refresh_token) && after.refresh_token !== before.refresh_token,
    sub: after.profile.sub,
  });
};
main().catch((error) => show('Error: ' + error.message));
</script></body></html>`;
}

let relay: RunningRelay;
let server: Server;
let appUrl: string;

test.beforeAll(async () => {
  relay = await startRelay({ demo: true });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://localhost:${(server.address() as { port: number }).port}`;
  const answer = await fetch(`${relay.origin}/api/v1/admin/apps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${relay.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Browser App',
      public: true,
      redirectUris: [`${appUrl}/callback`],
      postLogoutRedirectUris: [`${appUrl}/`],
    }),
  });
  expect(answer.status).toBe(201);
  const registered = (await answer.json()) as { clientId: string };
  const html = appPage({ authority: relay.origin, clientId: registered.clientId, appUrl });
  server.on('request', (req, res) => {
    const script = req.url === '/oidc-client-ts.js';
    res.writeHead(200, { 'content-type': script ? 'text/javascript' : 'text/html; charset=utf-8' }).end(script ? LIBRARY : html);
  });
});

test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await relay.stop();
});

test('oidc-client-ts on another site: PKCE sign-in, renewal with a rotated refresh token, and signoutRedirect back to the app', async ({
  page,
}) => {
  await page.goto(`${appUrl}/`);
  await expect(page.locator('#status')).toHaveText('Signed out');
  await page.locator('#login').click();
  await expect(page.getByText('to continue to Browser App')).toBeVisible();
  await page.getByTestId('password-link').click();
  await page.locator('input[name=upn]').fill('alice@demo.test');
  await page.locator('input[name=password]').fill('countersign-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.locator('#status')).toHaveText('Signed in');
  expect(new URL(page.url()).origin).toBe(appUrl);
  const user = JSON.parse((await page.locator('#user').textContent())!) as { profile: Record<string, unknown>; refresh: boolean };
  expect(user.profile).toMatchObject({ iss: relay.origin, preferred_username: 'alice@demo.test', email: 'alice@demo.test' });
  expect(user.refresh).toBe(true);

  // Renewal from another site: the refresh token, not an iframe with third-party cookies.
  await page.locator('#renew').click();
  await expect(page.locator('#renewed')).not.toBeEmpty();
  expect(JSON.parse((await page.locator('#renewed').textContent())!)).toEqual({
    newAccessToken: true,
    rotatedRefreshToken: true,
    sub: user.profile.sub,
  });

  await page.locator('#logout').click();
  await expect(page.getByText('Browser App asks to sign you out of Countersign.')).toBeVisible();
  await page.getByTestId('confirm-logout').click();
  await expect(page.locator('#status')).toHaveText('Signed out');
  expect(page.url()).toBe(`${appUrl}/`);
});
