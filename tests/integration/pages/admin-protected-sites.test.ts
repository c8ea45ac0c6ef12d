import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageBrowser, pageRelay, testIdText } from './page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

const ORIGIN = 'http://signin.example.test';
let env: Awaited<ReturnType<typeof pageRelay>>;
let admin: CookieBrowser;
beforeAll(async () => {
  env = await pageRelay({ RELAY_ORIGIN: ORIGIN, COOKIE_DOMAIN: 'example.test' });
  admin = pageBrowser(env.relay, ORIGIN);
  expect((await admin.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
});
afterAll(async () => {
  await env.close();
});

const rules = () => env.relay.store.forwardAuth.rules();

describe('the admin Protected sites page', () => {
  it('starts empty, names the check URL, and ordinary users get no access', async () => {
    expect((await admin.get('/admin/protected-sites')).status).toBe(200);
    expect(testIdText(admin.lastHtml, 'forward-auth-url')).toBe(`${ORIGIN}/api/v1/forward-auth`);
    expect(testIdText(admin.lastHtml, 'no-sites')).toContain('No site is protected yet');
    const alice = pageBrowser(env.relay, ORIGIN);
    await alice.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect((await alice.get('/admin/protected-sites')).status).toBe(403);
    await alice.get('/me');
    expect((await alice.post('/admin/protected-sites', { host: 'sneaky.example.test', policy: 'session' })).status).toBe(403);
    expect(await rules()).toEqual([]);
  });

  it('protects a site with groups and an approval rule, shown in the table, then removes it', async () => {
    await admin.get('/admin/protected-sites');
    const added = await admin.post('/admin/protected-sites', {
      host: 'Payroll.Example.test',
      groups: 'staff, admins',
      policy: 'approval',
      maxAgeMinutes: '15',
    });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/admin/protected-sites?done=added');
    expect(await rules()).toEqual([{ host: 'payroll.example.test', groups: ['staff', 'admins'], policy: 'approval', maxAgeSeconds: 900 }]);
    await admin.get('/admin/protected-sites?done=added');
    expect(admin.lastHtml).toContain('data-host="payroll.example.test"');
    expect(admin.lastHtml).toContain('again after 15 minutes');
    expect((await admin.post('/admin/protected-sites', { host: 'wiki.example.test', groups: '', policy: 'session' })).status).toBe(303);
    await admin.get('/admin/protected-sites');
    expect(admin.lastHtml).toContain('Everyone signed in');

    const removed = await admin.post('/admin/protected-sites/payroll.example.test/delete', {});
    expect(removed.status).toBe(303);
    expect((await rules()).map((rule) => rule.host)).toEqual(['wiki.example.test']);
  });

  it('shows what is wrong and changes nothing: outside COOKIE_DOMAIN, a URL, a repeat, a bad age, a forged form', async () => {
    await admin.get('/admin/protected-sites');
    const before = await rules();
    const cases: [Record<string, string>, string][] = [
      [{ host: 'evil.net', policy: 'session' }, 'host'],
      [{ host: 'https://x.example.test/', policy: 'session' }, 'host'],
      [{ host: 'Zoë.example.test', policy: 'session' }, 'host'],
      [{ host: 'wiki.example.test', policy: 'session' }, 'host'],
      [{ host: 'new.example.test', policy: 'approval', maxAgeMinutes: 'soon' }, 'maxAgeMinutes'],
      [{ host: 'new.example.test', policy: 'approval', maxAgeMinutes: '0' }, 'maxAgeMinutes'],
      [{ host: 'new.example.test', policy: 'session', groups: 'x'.repeat(65) }, 'groups'],
    ];
    for (const [fields, field] of cases) {
      const answer = await admin.post('/admin/protected-sites', fields);
      expect(answer.status, JSON.stringify(fields)).toBe(400);
      expect(testIdText(admin.lastHtml, `error-${field}`), JSON.stringify(fields)).toBeTruthy();
    }
    const forged = await admin.post('/admin/protected-sites', { host: 'forged.example.test', policy: 'session' }, { csrf: null });
    expect(forged.status).toBe(403);
    expect(await rules()).toEqual(before);
  });
});
