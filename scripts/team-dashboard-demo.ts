// Part of `npm start`: the Team Dashboard (examples/team-dashboard) behind nginx with the README's
// forward-auth configuration, protected for the demo's `staff` group. Without nginx it says so
// and how to install it, and the rest of the demo runs on.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTeamDashboard } from '../examples/team-dashboard/server.ts';
import { ProxyMissingError, nginxBinary, startNginx, type RunningProxy } from '../testing/reverse-proxies.ts';

const relayUrl = process.env.RELAY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const port = Number(process.env.DASHBOARD_PORT ?? 8080);

try {
  nginxBinary();
} catch (error) {
  if (!(error instanceof ProxyMissingError)) throw error;
  console.log(`Team Dashboard (forward auth): not started. ${error.message}`);
  process.exit(0);
}

function adminToken(): string {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = path.resolve(process.env.DATA_DIR || './data', 'admin-token');
  if (!existsSync(file)) throw new Error(`no ADMIN_TOKEN and no ${file}`);
  return readFileSync(file, 'utf8').trim();
}

/** The demo's rule: the relay's own host (no COOKIE_DOMAIN in the demo), for the staff group; other rules are kept. */
async function protectDashboard(host: string): Promise<void> {
  const url = `${relayUrl}/api/v1/admin/forward-auth`;
  const headers = { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' };
  const current = (await (await fetch(url, { headers })).json()) as { rules: { host: string }[] };
  if (current.rules.some((rule) => rule.host === host)) return;
  const saved = await fetch(url, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ rules: [...current.rules, { host, groups: ['staff'], policy: 'session' }] }),
  });
  if (!saved.ok) throw new Error(`saving the forward-auth rule: ${saved.status} ${await saved.text()}`);
}

const host = new URL(relayUrl).hostname;
const app = await startTeamDashboard();
let proxy: RunningProxy | undefined;
try {
  await protectDashboard(host);
  proxy = await startNginx({ hosts: [host], app: `127.0.0.1:${app.port}`, relay: new URL(relayUrl).host, port });
} catch (error) {
  console.error(`Team Dashboard (forward auth): not started: ${(error as Error).message}`);
  app.server.close();
  process.exit(0);
}
const running = proxy;
console.log(`Team Dashboard behind nginx (forward auth): ${running.url(host)}  (staff: alice and bob; admin@demo.test gets 403)`);

const stop = async () => {
  await running.stop();
  app.server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// Should this process end any other way, nginx goes with it.
process.on('exit', () => {
  try {
    process.kill(running.pid, 'SIGTERM');
  } catch {
    // already gone
  }
});
