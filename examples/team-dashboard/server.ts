// The "Team Dashboard": a tiny app that knows nothing of sign-in. It trusts the Remote-* headers its
// reverse proxy sets after asking Countersign (forward auth, docs/protocol.md section 10), exactly
// as a wiki or an admin panel behind Authelia would. `npm start` runs it behind nginx; the tests
// run it behind nginx and Caddy. GET /whoami answers the Remote-* headers it received, raw.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Every Remote-* header as received (a repeated one shows every copy). */
function remoteHeadersOf(request: IncomingMessage): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    if (name.startsWith('remote-') || name.startsWith('remote_')) (found[name] ??= []).push(request.rawHeaders[i + 1]!);
  }
  return found;
}

/** Header values are percent-encoded UTF-8 when they are not plain ASCII. */
function decoded(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(request: IncomingMessage): string {
  const headers = remoteHeadersOf(request);
  const user = decoded(headers['remote-user']?.[0]);
  const name = decoded(headers['remote-name']?.[0]) || user;
  const groups = decoded(headers['remote-groups']?.[0])
    .split(',')
    .filter((group) => group !== '');
  const row = (label: string, value: string, testId: string) =>
    `<tr><th scope="row">${label}</th><td data-testid="${testId}">${escapeHtml(value) || '<em>none</em>'}</td></tr>`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Team Dashboard</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1c2430; }
  header { background: #1f4e79; color: #fff; padding: 1rem 1.25rem; }
  header h1 { margin: 0; font-size: 1.25rem; }
  main { max-width: 44rem; margin: 1.5rem auto; padding: 0 1rem; }
  .card { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e3e7ec; overflow-wrap: anywhere; }
  th { width: 8rem; color: #52606d; font-weight: 600; }
  .muted { color: #52606d; font-size: .9rem; }
</style></head>
<body>
<header><h1>Team Dashboard</h1></header>
<main>
  <div class="card">
    <p>Welcome, <strong data-testid="dashboard-welcome">${escapeHtml(name || 'stranger')}</strong>.</p>
    <table>
      ${row('User', user, 'remote-user')}
      ${row('Name', decoded(headers['remote-name']?.[0]), 'remote-name')}
      ${row('Email', decoded(headers['remote-email']?.[0]), 'remote-email')}
      ${row('Groups', groups.join(', '), 'remote-groups')}
    </table>
  </div>
  <p class="muted">This app has no sign-in of its own: its proxy asks Countersign before every request and tells it who you are.</p>
</main>
</body>
</html>`;
}

export function startTeamDashboard(options: { port?: number; host?: string } = {}): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.url === '/whoami') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ headers: remoteHeadersOf(request), host: request.headers.host ?? null }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(page(request));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { port } = await startTeamDashboard({ port: Number(process.env.PORT ?? 3001) });
  console.log(`Team Dashboard (behind the proxy only): http://127.0.0.1:${port}`);
}
