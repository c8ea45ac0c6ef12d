import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
let admin: CookieBrowser;
beforeAll(async () => {
  env = await pageRelay();
  admin = pageBrowser(env.relay, ORIGIN);
  expect((await admin.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
});
afterAll(async () => {
  await env.close();
});

const appNamed = async (name: string) => (await env.relay.store.apps.list()).find((app) => app.name === name);

describe('the admin Apps page', () => {
  it('lists the demo apps with the discovery URL, and ordinary users get no access', async () => {
    expect((await admin.get('/admin/apps')).status).toBe(200);
    expect(testIdText(admin.lastHtml, 'discovery-url')).toBe(`${ORIGIN}/.well-known/openid-configuration`);
    expect(admin.lastHtml).toContain('data-client-id="sample-app"');
    const alice = pageBrowser(env.relay, ORIGIN);
    await alice.signInWithPassword('alice@demo.test', 'countersign-demo');
    expect((await alice.get('/admin/apps')).status).toBe(403);
    await alice.get('/me');
    expect((await alice.post('/admin/apps', { name: 'Sneaky', redirectUris: 'https://evil.example/cb' })).status).toBe(403);
    expect(await appNamed('Sneaky')).toBeUndefined();
  });

  it('registers an app with post/redirect/get and shows its secret exactly once', async () => {
    await admin.get('/admin/apps');
    const created = await admin.post('/admin/apps', {
      name: 'Expense Reports',
      redirectUris: 'https://expenses.example/cb\n\nhttp://localhost:3001/cb\n',
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/admin/apps?done=created');
    const app = await appNamed('Expense Reports');
    expect(app?.redirectUris).toEqual(['https://expenses.example/cb', 'http://localhost:3001/cb']);
    await admin.get('/admin/apps?done=created');
    const secret = testIdText(admin.lastHtml, 'new-client-secret');
    expect(secret).toMatch(/^[\w-]{44}$/);
    expect(testIdText(admin.lastHtml, 'new-client-id')).toBe(app!.clientId);
    // Neither the URL nor the database holds it, and a reload shows it no more.
    expect(created.headers.get('location')).not.toContain(secret!);
    expect(JSON.stringify(app)).not.toContain(secret!);
    await admin.get('/admin/apps?done=created');
    expect(testIdText(admin.lastHtml, 'new-client-secret')).toBeUndefined();
  });

  it('registers sign-out URIs, a back-channel logout URI and the ID token algorithm, checked like redirect URIs', async () => {
    await admin.get('/admin/apps');
    const before = (await env.relay.store.apps.list()).length;
    for (const [fields, field] of [
      [{ postLogoutRedirectUris: 'http://wiki.example/' }, 'postLogoutRedirectUris'],
      [{ backchannelLogoutUri: 'https://wiki.example/#logout' }, 'backchannelLogoutUri'],
      [{ idTokenAlg: 'HS256' }, 'idTokenAlg'],
    ] as const) {
      const bad = await admin.post('/admin/apps', { name: 'Wiki', redirectUris: 'https://wiki.example/cb', ...fields });
      expect(bad.status, field).toBe(400);
      expect(testIdText(admin.lastHtml, `error-${field}`), field).toBeTruthy();
    }
    expect((await env.relay.store.apps.list()).length).toBe(before);
    const created = await admin.post('/admin/apps', {
      name: 'Wiki',
      redirectUris: 'https://wiki.example/cb',
      postLogoutRedirectUris: 'https://wiki.example/\nhttps://wiki.example/bye',
      backchannelLogoutUri: 'https://wiki.example/backchannel',
      idTokenAlg: 'ES256',
    });
    expect(created.status).toBe(303);
    expect(await appNamed('Wiki')).toMatchObject({
      postLogoutRedirectUris: ['https://wiki.example/', 'https://wiki.example/bye'],
      backchannelLogoutUri: 'https://wiki.example/backchannel',
      idTokenAlg: 'ES256',
    });
    await admin.get('/admin/apps');
    expect(admin.lastHtml).toContain('Back-channel: https://wiki.example/backchannel');
  });

  it('shows what is wrong with a registration and changes nothing', async () => {
    await admin.get('/admin/apps');
    const before = (await env.relay.store.apps.list()).length;
    const bad = await admin.post('/admin/apps', { name: 'Plain', redirectUris: 'http://plain.example/cb' });
    expect(bad.status).toBe(400);
    expect(testIdText(admin.lastHtml, 'error-redirectUris')).toContain('https');
    const unnamed = await admin.post('/admin/apps', { name: '', redirectUris: 'https://ok.example/cb' });
    expect(unnamed.status).toBe(400);
    expect(testIdText(admin.lastHtml, 'error-name')).toBeTruthy();
    const forged = await admin.post('/admin/apps', { name: 'Forged', redirectUris: 'https://ok.example/cb' }, { csrf: null });
    expect(forged.status).toBe(403);
    expect((await env.relay.store.apps.list()).length).toBe(before);
  });

  it('deletes an app, and rotates the signing keys', async () => {
    await admin.get('/admin/apps');
    await admin.post('/admin/apps', { name: 'Short Lived', redirectUris: 'https://short.example/cb' });
    const app = (await appNamed('Short Lived'))!;
    await admin.get('/admin/apps');
    const deleted = await admin.post(`/admin/apps/${app.clientId}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(await appNamed('Short Lived')).toBeUndefined();

    const keys = async () => (await env.relay.store.db.selectFrom('oidc_signing_keys').select(['kid', 'retired_at']).execute()).length;
    await env.relay.openid.current();
    const before = await keys();
    await admin.get('/admin/apps');
    const rotated = await admin.post('/admin/apps/signing-keys/rotate', {});
    expect(rotated.status).toBe(303);
    expect(rotated.headers.get('location')).toBe('/admin/apps?done=rotated');
    expect(await keys()).toBe(before + 2);
  });
});
