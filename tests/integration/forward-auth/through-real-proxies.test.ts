import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeamDashboard } from '../../../examples/team-dashboard/server.ts';
import { startCaddy, startNginx, type RunningProxy } from '../../../testing/reverse-proxies.ts';
import { FORWARD_AUTH_COOKIE, startForwardAuthRelay, type ForwardAuthRelay } from './forward-auth-relay.ts';

/**
 * Real nginx (auth_request) and Caddy (forward_auth), from Debian's packages, configured from
 * examples/forward-auth/ (the files the README shows), in front of the Team Dashboard, which
 * answers /whoami with the Remote-* headers it received. Missing binaries fail the test with how
 * to install them (testing/reverse-proxies.ts), never skip it.
 */
interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

function get(proxy: RunningProxy, host: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: proxy.port, path, method, headers: { host: `${host}:${proxy.port}`, ...headers } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, location: response.headers.location, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The Remote-* headers the app received; an empty one (nginx omits it, Caddy passes it) left out. */
function whoami(answer: Answer): Record<string, string[]> {
  const { headers } = JSON.parse(answer.body) as { headers: Record<string, string[]> };
  return Object.fromEntries(Object.entries(headers).filter(([, values]) => values.join('') !== ''));
}

let relay: ForwardAuthRelay;
let app: Awaited<ReturnType<typeof startTeamDashboard>>;
let staffCookie: string;
let adminCookie: string;

beforeAll(async () => {
  relay = await startForwardAuthRelay({}, { beforeAll: true });
  expect(
    (
      await relay.putRules([
        { host: 'dash.example.test', groups: ['staff'], policy: 'session' },
        { host: 'admin.example.test', groups: ['admins'], policy: 'session' },
      ])
    ).status,
  ).toBe(200);
  const staff = await relay.signedInUser({ upn: 'zoe@example.test', displayName: 'Zoë Ødegård', groups: ['staff'] });
  staffCookie = (await relay.forwardAuthCookie(staff.session, 'https://dash.example.test/')).cookie!;
  const admin = await relay.signedInUser({ upn: 'root@example.test', displayName: 'Root', groups: ['admins'] });
  adminCookie = (await relay.forwardAuthCookie(admin.session, 'https://admin.example.test/')).cookie!;
  app = await startTeamDashboard();
});
afterAll(async () => {
  await relay?.running.stop();
  if (app) await new Promise<void>((resolve) => app.server.close(() => resolve()));
});

describe.each([
  ['nginx', startNginx],
  ['Caddy', startCaddy],
] as const)('forward auth through real %s', (_name, start) => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await start({
      hosts: ['dash.example.test', 'admin.example.test'],
      app: `127.0.0.1:${app.port}`,
      relay: new URL(relay.address).host,
    });
  });
  afterAll(() => proxy.stop());
  const cookie = (value: string) => ({ cookie: `${FORWARD_AUTH_COOKIE}=${value}` });

  it('lets the signed-in person through; the app sees who they are, a non-ASCII name percent-encoded', async () => {
    const answer = await get(proxy, 'dash.example.test', '/whoami', cookie(staffCookie));
    expect(answer.status, proxy.log()).toBe(200);
    expect(whoami(answer)).toEqual({
      'remote-user': ['zoe@example.test'],
      'remote-name': ['Zo%C3%AB %C3%98deg%C3%A5rd'],
      'remote-groups': ['staff'],
    });
  });

  it('sends a signed-out person to the sign-in page with the URL to come back to', async () => {
    const answer = await get(proxy, 'dash.example.test', '/reports?week=12');
    expect(answer.status, proxy.log()).toBe(302);
    const rd = `http://dash.example.test:${proxy.port}/reports?week=12`;
    expect(answer.location).toBe(`${relay.origin}/signin?rd=${encodeURIComponent(rd)}`);
  });

  it('checks other methods too: a POST is let through for the signed-in person and sent to sign in otherwise', async () => {
    expect((await get(proxy, 'dash.example.test', '/whoami', cookie(staffCookie), 'POST')).status).toBe(200);
    expect([302, 401]).toContain((await get(proxy, 'dash.example.test', '/whoami', {}, 'POST')).status);
    expect((await get(proxy, 'admin.example.test', '/whoami', cookie(staffCookie), 'DELETE')).status).toBe(403);
  });

  it('answers 403 to a person outside the rule’s groups; the app is never reached', async () => {
    const answer = await get(proxy, 'admin.example.test', '/whoami', cookie(staffCookie));
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('remote-');
    expect((await get(proxy, 'admin.example.test', '/whoami', cookie(adminCookie))).status).toBe(200);
  });

  it('drops forged Remote-* headers, including one the check leaves empty (Remote-Email)', async () => {
    const forged = {
      'Remote-User': 'root@example.test',
      'Remote-Groups': 'admins',
      'Remote-Name': 'Root',
      'Remote-Email': 'ceo@example.test',
    };
    const signedIn = await get(proxy, 'dash.example.test', '/whoami', { ...cookie(staffCookie), ...forged });
    expect(signedIn.status).toBe(200);
    const seen = whoami(signedIn);
    expect(seen['remote-user']).toEqual(['zoe@example.test']);
    expect(seen['remote-groups']).toEqual(['staff']);
    expect(seen['remote-email']).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain('admins');
    expect(JSON.stringify(seen)).not.toContain('ceo@');
  });

  it('drops the forged headers for a signed-out person too (nothing reaches the app)', async () => {
    const answer = await get(proxy, 'dash.example.test', '/whoami', { 'Remote-User': 'root@example.test', 'Remote-Groups': 'admins' });
    expect(answer.status).toBe(302);
    expect(answer.body).not.toContain('root@');
  });

  it('does not let a client’s X-Forwarded-Host or X-Original-URL reach another host’s rule', async () => {
    const answer = await get(proxy, 'admin.example.test', '/whoami', {
      ...cookie(staffCookie),
      'X-Forwarded-Host': 'dash.example.test',
      'X-Original-URL': 'https://dash.example.test/whoami',
      'X-Forwarded-Uri': '/whoami',
      Forwarded: 'host=dash.example.test',
    });
    expect(answer.status).toBe(403);
    // And the other way round: the admin's own host is not reachable from the staff site's name.
    const other = await get(proxy, 'dash.example.test', '/whoami', { ...cookie(adminCookie), 'X-Forwarded-Host': 'admin.example.test' });
    expect(other.status).toBe(403);
  });

  it('refuses a Host no rule names, even signed in', async () => {
    const answer = await get(proxy, 'unknown.example.test', '/whoami', cookie(staffCookie));
    // nginx sends it to its first (default) site, whose check names the unknown host: 403. Caddy
    // serves no site for it at all. Either way the app is never reached.
    expect(answer.body).not.toContain('remote-user');
    expect(answer.status === 403 || (proxy.kind === 'caddy' && answer.status === 200 && answer.body === '')).toBe(true);
  });
});

describe('the README’s Caddy configuration', () => {
  it('drops every Remote-* header a client sends, not only the four the check answers', async () => {
    const proxy = await startCaddy({ hosts: ['dash.example.test'], app: `127.0.0.1:${app.port}`, relay: new URL(relay.address).host });
    try {
      const answer = await get(proxy, 'dash.example.test', '/whoami', {
        cookie: `${FORWARD_AUTH_COOKIE}=${staffCookie}`,
        'Remote-Admin': 'yes',
        'Remote-Role': 'owner',
      });
      expect(answer.status).toBe(200);
      expect(Object.keys(whoami(answer)).sort()).toEqual(['remote-groups', 'remote-name', 'remote-user']);
    } finally {
      await proxy.stop();
    }
  });
});
