import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { RealTimeClock, startTestRelay, type TestRelay } from '../helpers/test-relay.ts';
import {
  personWithDevice,
  redeemCode,
  registerApp,
  relyingParty,
  signInThroughApp,
  startAuthorization,
  waitingApp,
  type Person,
} from './browser-and-app.ts';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';

/** An app signed in with offline_access: its tokens and the openid-client configuration to refresh them. */
async function signedInWithRefresh(relay: TestRelay, person: Person, body: Record<string, unknown> = {}, auth: 'basic' | 'none' = 'basic') {
  const app = await registerApp(relay, body);
  const config = await relyingParty(relay.origin, app, auth);
  const started = await startAuthorization(config, app, { scope: 'openid profile offline_access' });
  const first = await person.browser.follow(started.authorizationUrl, relay.origin);
  const callback = first.url.origin === relay.origin ? await signInThroughApp(relay, person, started) : first.url; // already signed in: straight back
  const tokens = await redeemCode(config, callback, started);
  expect(tokens.refresh_token).toEqual(expect.any(String));
  return { app, config, tokens };
}

const refresh = (config: oidc.Configuration, token: string) => oidc.refreshTokenGrant(config, token);

/** The relay's own "Sign out" button on /me (a form with the session's CSRF token). */
async function signOutOfRelay(relay: TestRelay, person: Person) {
  const me = await person.browser.load(`${relay.origin}/me`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(me.text)![1]!;
  const posted = await fetch(`${relay.origin}/signout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
    body: new URLSearchParams({ csrf }),
  });
  expect(posted.status).toBe(303);
  person.browser.cookies.remember(posted);
}

describe('refresh tokens (docs/protocol.md section 9)', () => {
  it('offline_access gives one; each use rotates it, and a used one coming back revokes the whole grant', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const { config, tokens } = await signedInWithRefresh(relay, person);
    const second = await refresh(config, tokens.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.claims()).toMatchObject({ sub: person.user.userId, sid: tokens.claims()!.sid });
    const third = await refresh(config, second.refresh_token!);
    expect(third.refresh_token).not.toBe(second.refresh_token);

    // A stolen, already used token is replayed: refused, and the newest one dies with the grant.
    await expect(refresh(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(refresh(config, third.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // So does the access token it came with.
    const userinfo = await fetch(config.serverMetadata().userinfo_endpoint!, {
      headers: { authorization: `Bearer ${third.access_token}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('a public client (PKCE, no secret) gets and rotates them too; another app cannot use them; garbage is refused', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const { config, tokens } = await signedInWithRefresh(relay, person, { name: 'Browser App', public: true }, 'none');
    const renewed = await refresh(config, tokens.refresh_token!);
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);

    const other = await signedInWithRefresh(relay, person, { name: 'Other App' });
    await expect(refresh(other.config, renewed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    for (const junk of ['x', 'a'.repeat(5000), `${renewed.refresh_token!}x`]) {
      await expect(refresh(config, junk)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    // None of that hurt the real one.
    await expect(refresh(config, renewed.refresh_token!)).resolves.toBeTruthy();
  });

  it('without offline_access (or in a silent request, prompt=none) there is none', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const app = await registerApp(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const tokens = await redeemCode(config, await signInThroughApp(relay, person, started), started);
    expect(tokens.refresh_token).toBeUndefined();
    // prompt=none keeps the request silent, so it gets none either (offline_access needs an interactive request).
    const silent = await startAuthorization(config, app, { scope: 'openid offline_access', prompt: 'none' });
    const back = await person.browser.follow(silent.authorizationUrl, relay.origin);
    expect((await redeemCode(config, back.url, silent)).refresh_token).toBeUndefined();
  });

  it('die when the person signs out of Countersign, and only those of that relay session', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const { config, tokens } = await signedInWithRefresh(relay, person);
    // The same person in another browser: a relay session of its own.
    const browser = new CookieBrowser(relay.origin);
    const elsewhere: Person = { ...person, browser, signInOnRelay: (app) => person.signInOnRelay(app, browser) };
    const other = await signedInWithRefresh(relay, elsewhere);

    await signOutOfRelay(relay, person);
    await expect(refresh(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(refresh(other.config, other.tokens.refresh_token!)).resolves.toBeTruthy();
  });

  it('survive the same person signing in again (prompt=login), and die with RP-initiated logout', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const { app, config, tokens } = await signedInWithRefresh(relay, person);
    const again = await startAuthorization(config, app, { prompt: 'login' });
    const signin = await person.browser.follow(again.authorizationUrl, relay.origin);
    await person.signInOnRelay(app.clientId);
    await redeemCode(config, (await person.browser.follow(waitingApp(signin.url), relay.origin)).url, again);
    const renewed = await refresh(config, tokens.refresh_token!);

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: renewed.id_token! });
    const confirm = await person.browser.follow(logout, relay.origin);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.text)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)![1]!;
    const done = await fetch(new URL(action, relay.origin), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    expect(done.status).toBe(303);
    await expect(refresh(config, renewed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('die with a password reset, with "sign out everywhere", and with the app’s deletion', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const upnPath = (person: Person) => `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}`;

    const reset = await personWithDevice(relay);
    const beforeReset = await signedInWithRefresh(relay, reset);
    expect((await relay.http('PATCH', upnPath(reset), { admin: true, body: { password: 'a new password 1' } })).status).toBe(200);
    await expect(refresh(beforeReset.config, beforeReset.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const everywhere = await personWithDevice(relay);
    const beforeSignout = await signedInWithRefresh(relay, everywhere);
    expect((await relay.http('POST', `${upnPath(everywhere)}/signout`, { admin: true })).status).toBe(204);
    await expect(refresh(beforeSignout.config, beforeSignout.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const deleted = await personWithDevice(relay);
    const beforeDeletion = await signedInWithRefresh(relay, deleted);
    const kept = await signedInWithRefresh(relay, deleted, { name: 'Kept App' });
    expect((await relay.http('DELETE', `/api/v1/admin/apps/${beforeDeletion.app.clientId}`, { admin: true })).status).toBe(204);
    await expect(refresh(beforeDeletion.config, beforeDeletion.tokens.refresh_token!)).rejects.toMatchObject({ status: 401 });
    const left = await relay.running.relay.store.db
      .selectFrom('oidc_payloads')
      .select('model')
      .where('client_id', '=', beforeDeletion.app.clientId)
      .execute();
    expect(left).toEqual([]);
    await expect(refresh(kept.config, kept.tokens.refresh_token!)).resolves.toBeTruthy();
  });

  it('die when the relay session expires, even if nothing ended it', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const { config, tokens } = await signedInWithRefresh(relay, person);
    await relay.running.relay.store.db
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .execute();
    await expect(refresh(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
