import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../../protocol/encoding.ts';
import type { SigninRow } from '../../../relay-server/store/schema.ts';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

// Issue 23 item 7: the admin overview (Entra's authentication-methods activity): users registered
// and not, 30 days of sign-ins by method and outcome drawn on the server, who reported or is
// locked out, and the apps with their sign-ins. Only an administrator's session opens it.

const DAY = 86_400_000;
let env: Awaited<ReturnType<typeof pageRelay>>;
let admin: CookieBrowser;

async function logged(upn: string, fields: Partial<SigninRow> & Pick<SigninRow, 'method' | 'status' | 'created_at'>) {
  const user = (await env.relay.store.users.byUpn(upn))!;
  await env.relay.store.signins.insert({
    id: randomId(),
    user_id: user.id,
    upn: user.upn,
    app_id: null,
    app_name: null,
    ip: '198.51.100.7',
    client_key: '198.51.100.7',
    location: null,
    browser: 'Chrome',
    os: 'Linux',
    number: null,
    match_mode: null,
    digits: null,
    choices: null,
    browser_token_hash: null,
    reason: null,
    device_id: null,
    expires_at: fields.created_at,
    decided_at: fields.created_at,
    completed_at: null,
    ...fields,
  });
}

beforeAll(async () => {
  env = await pageRelay();
  const now = env.clock.now();
  const alice = (await env.relay.store.users.byUpn('alice@demo.test'))!;
  const bob = (await env.relay.store.users.byUpn('bob@demo.test'))!;
  // Alice has an authenticator; Bob and the administrator do not.
  const offer = await env.relay.store.pairings.create(alice.id, now, 60_000);
  const redeemed = await env.relay.store.pairings.redeem(
    offer.token,
    { name: 'Laptop', publicKey: 'unused', connectPublicKey: 'unused-too' },
    now,
  );
  if (!redeemed.ok) throw new Error(redeemed.code);
  await logged('alice@demo.test', {
    method: 'passwordless',
    status: 'approved',
    created_at: now - 1000,
    app_id: 'payroll',
    app_name: 'Payroll',
  });
  await logged('alice@demo.test', {
    method: 'passwordless',
    status: 'approved',
    created_at: now - 2000,
    app_id: 'payroll',
    app_name: 'Payroll',
  });
  await logged('alice@demo.test', {
    method: 'passwordless',
    status: 'denied',
    created_at: now - DAY,
    app_id: 'payroll',
    app_name: 'Payroll',
  });
  await logged('bob@demo.test', { method: 'passwordless', status: 'reported', created_at: now - 3 * DAY });
  await logged('bob@demo.test', { method: 'password', status: 'denied', reason: 'invalid_credentials', created_at: now - 5 * DAY });
  // Older than 30 days: not counted.
  await logged('bob@demo.test', { method: 'password', status: 'approved', created_at: now - 40 * DAY });
  await env.relay.store.users.setPushBlocked(bob.id, true);
  await env.relay.store.users.recordFailure(alice.id, '203.0.113.5', 1, now);

  admin = pageBrowser(env.relay, ORIGIN);
  expect((await admin.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
});
afterAll(async () => env.close());

describe('the admin overview', () => {
  it('counts users registered with an authenticator and not', async () => {
    expect((await admin.get('/admin/overview')).status).toBe(200);
    expect(testIdText(admin.lastHtml, 'users-registered')).toBe('1');
    expect(testIdText(admin.lastHtml, 'users-not-registered')).toBe('2');
  });

  it('draws 30 days of sign-ins by method and by outcome as SVG on the server, with each count in words', async () => {
    await admin.get('/admin/overview');
    const html = admin.lastHtml;
    // The administrator's own password sign-in is one of them; the 40-day-old one is not.
    expect(testIdText(html, 'signins-total')).toBe('6');
    expect(testIdText(html, 'signins-approved')).toBe('3');
    for (const chart of ['chart-by-method', 'chart-by-outcome']) {
      const svg = new RegExp(`data-testid="${chart}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';
      expect(svg).toContain('role="img"');
      expect([...svg.matchAll(/data-testid="chart-day"/g)]).toHaveLength(30);
    }
    const today = new Date(env.clock.now()).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
    expect(html).toContain(`<title>${today}: 2 Phone sign-in (no password)</title>`);
    expect(html).toMatch(/<title>[^<]*: 1 Reported \(&quot;It wasn&#39;t me&quot;\)<\/title>/);
    expect(html).not.toContain('<script>');
  });

  it('lists the users who reported a sign-in or are locked out', async () => {
    await admin.get('/admin/overview');
    const rows = [...admin.lastHtml.matchAll(/data-testid="flagged-user"[\s\S]*?<\/tr>/g)].map((match) => match[0]);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.includes('bob'))).toContain('Reported');
    expect(rows.find((row) => row.includes('alice'))).toContain('Locked on 1 network');
  });

  it('lists every registered app with its sign-ins of the 30 days', async () => {
    await admin.get('/admin/overview');
    const payroll = /data-client-id="payroll"[\s\S]*?<\/tr>/.exec(admin.lastHtml)?.[0] ?? '';
    expect(testIdText(payroll, 'app-total')).toBe('3');
    expect(testIdText(payroll, 'app-approved')).toBe('2');
    const wiki = /data-client-id="wiki"[\s\S]*?<\/tr>/.exec(admin.lastHtml)?.[0] ?? '';
    expect(testIdText(wiki, 'app-total')).toBe('0');
  });
});

describe('the admin overview refuses', () => {
  it('anyone without a session (sent to sign in), an ordinary user (403) and the API token as a cookie-less bearer', async () => {
    const anonymous = await pageBrowser(env.relay, ORIGIN).get('/admin/overview');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toMatch(/signin/);

    const alice = pageBrowser(env.relay, ORIGIN);
    await alice.signInWithPassword('alice@demo.test', 'countersign-demo');
    const refused = await alice.get('/admin/overview');
    expect(refused.status).toBe(403);
    expect(alice.lastHtml).not.toContain('bob@demo.test');

    // The admin API's bearer token is not a page session.
    const bearer = await pageBrowser(env.relay, ORIGIN).api('GET', '/admin/overview', { bearer: 'test-admin-token-0123456789' });
    expect(bearer.status).not.toBe(200);
    expect(await bearer.text()).not.toContain('users-registered');
  });
});
