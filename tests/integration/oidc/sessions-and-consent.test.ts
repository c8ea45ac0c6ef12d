import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { seedDemoApps } from '../../../relay-server/demo/demo-apps.ts';
import { RealTimeClock, startTestRelay } from '../helpers/test-relay.ts';
import {
  personWithDevice,
  redeemCode,
  REDIRECT,
  registerApp,
  relyingParty,
  signInThroughApp,
  startAuthorization,
  waitingApp,
} from './browser-and-app.ts';

describe('the OpenID Provider and the relay session', () => {
  it('sends a signed-in person straight back; prompt=login and max_age=0 ask for a new sign-in', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    await signInThroughApp(relay, person, await startAuthorization(config, app));

    const again = await person.browser.follow((await startAuthorization(config, app)).authorizationUrl, relay.origin);
    expect(again.url.origin, again.url.href).toBe(new URL(REDIRECT).origin);
    expect(again.url.searchParams.get('code'), again.url.href).toBeTruthy();

    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const forced = await person.browser.follow((await startAuthorization(config, app, extra)).authorizationUrl, relay.origin);
      expect(forced.url.pathname, JSON.stringify(extra)).toBe('/signin');
      // A new approval answers it.
      await person.signInOnRelay();
      const callback = await person.browser.follow(waitingApp(forced.url), relay.origin);
      expect(callback.url.searchParams.get('code'), callback.url.href).toBeTruthy();
    }
  });

  it('asks again after the person signed out of Countersign, and never hands one person’s sign-in to another', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const alice = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    await signInThroughApp(relay, alice, await startAuthorization(config, app));
    alice.browser.cookies.delete('countersign_session');
    const asked = await alice.browser.follow((await startAuthorization(config, app)).authorizationUrl, relay.origin);
    expect(asked.url.pathname).toBe('/signin');

    // Bob signs in to Countersign in Alice's browser (the provider still holds Alice's session).
    const bob = await personWithDevice(relay);
    await bob.signInOnRelay();
    alice.browser.cookies.set('countersign_session', bob.browser.cookies.get('countersign_session')!);
    const started = await startAuthorization(config, app);
    const first = await alice.browser.follow(started.authorizationUrl, relay.origin);
    const callback = first.url.origin === relay.origin ? (await alice.browser.follow(waitingApp(first.url), relay.origin)).url : first.url;
    const tokens = await redeemCode(config, callback, started);
    expect(tokens.claims()!.sub).toBe(bob.user.userId);
  });

  it('an app marked as needing consent asks once, remembers a yes, and a no goes back as access_denied', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay, { name: 'Partner Portal', needsConsent: true });
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const first = await person.browser.follow(started.authorizationUrl, relay.origin);
    await person.signInOnRelay();
    expect(first.url.pathname).toBe('/signin');
    const consent = await person.browser.follow(waitingApp(first.url), relay.origin);
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Allow Partner Portal?');
    const uid = /\/oidc\/interaction\/([\w-]+)\/consent/.exec(consent.text)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(consent.text)![1]!;
    const post = (answer: string, id = uid) =>
      fetch(`${relay.origin}/oidc/interaction/${id}/consent`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
        body: new URLSearchParams({ csrf, answer }),
      });
    // Without the CSRF token nothing happens.
    const forged = await fetch(`${relay.origin}/oidc/interaction/${uid}/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ answer: 'allow' }),
    });
    expect(forged.status).toBe(403);
    const allowed = await post('allow');
    expect(allowed.status).toBe(303);
    person.browser.cookies.remember(allowed);
    const callback = await person.browser.follow(allowed.headers.get('location')!, relay.origin);
    const tokens = await redeemCode(config, callback.url, started);
    expect(tokens.claims()!.preferred_username).toBe(person.user.upn);

    // Remembered: the next sign-in to the app goes straight back, even in a new browser session.
    person.browser.cookies.delete('_session');
    person.browser.cookies.delete('_session.sig');
    const next = await person.browser.follow((await startAuthorization(config, app)).authorizationUrl, relay.origin);
    expect(next.url.searchParams.get('code')).toBeTruthy();

    // Someone else says no: the app gets access_denied.
    const other = await personWithDevice(relay);
    const theirs = await other.browser.follow((await startAuthorization(config, app)).authorizationUrl, relay.origin);
    await other.signInOnRelay();
    expect(theirs.url.pathname).toBe('/signin');
    const page = await other.browser.follow(waitingApp(theirs.url), relay.origin);
    const theirUid = /\/oidc\/interaction\/([\w-]+)\/consent/.exec(page.text)![1]!;
    const theirCsrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const no = await fetch(`${relay.origin}/oidc/interaction/${theirUid}/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...other.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
      body: new URLSearchParams({ csrf: theirCsrf, answer: 'deny' }),
    });
    other.browser.cookies.remember(no);
    const denied = await other.browser.follow(no.headers.get('location')!, relay.origin);
    expect(denied.url.searchParams.get('error')).toBe('access_denied');
  });

  it('a Temporary Access Pass on the password page goes back to the waiting app (amr otp), not to adding an authenticator', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const tap = await relay.http('POST', `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}/tap`, {
      admin: true,
      body: { lifetimeMinutes: 10, oneTime: true },
    });
    expect(tap.status).toBe(201);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const first = await person.browser.follow(started.authorizationUrl, relay.origin);
    expect(first.url.pathname).toBe('/signin');
    const uid = first.url.searchParams.get('interaction')!;
    const form = await person.browser.load(`${relay.origin}/signin/password?app=${app.clientId}&interaction=${uid}`);
    // On the way back to an app the page's forms may end off the relay: no form-action 'self' here.
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const posted = await fetch(`${relay.origin}/signin/password`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
      body: new URLSearchParams({ csrf, upn: person.user.upn, password: tap.body.code, app: app.clientId, interaction: uid }),
    });
    person.browser.cookies.remember(posted);
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(waitingApp(first.url));
    const callback = await person.browser.follow(waitingApp(first.url), relay.origin);
    const tokens = await redeemCode(config, callback.url, started);
    expect(tokens.claims()!.amr).toEqual(['otp']);
  });

  it('cancelling (or a denial on the authenticator) returns access_denied to the app', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const first = await person.browser.follow(started.authorizationUrl, relay.origin);
    const back = `/oidc/interaction/${first.url.searchParams.get('interaction')}`;
    const denied = await person.browser.follow(`${back}/cancel?reason=denied`, relay.origin);
    expect(denied.url.origin).toBe(new URL(REDIRECT).origin);
    expect(denied.url.searchParams.get('error')).toBe('access_denied');
    expect(denied.url.searchParams.get('state')).toBe(started.state);
    // The interaction is over: visiting it again shows an error page, not a second redirect.
    const replay = await person.browser.load(`${relay.origin}${back}`);
    expect(replay.status).toBe(400);
  });

  it('RP-initiated logout signs the person out of the app and of Countersign, back to a registered post-logout URI only', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const home = 'http://127.0.0.1:9/';
    const app = await registerApp(relay, { postLogoutRedirectUris: [home] });
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const callback = await signInThroughApp(relay, person, started);
    const tokens = await redeemCode(config, callback, started);
    // A redirect URI is no post-logout URI: an error page, never a redirect there.
    const toRedirectUri = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT });
    const refused = await person.browser.follow(toRedirectUri, relay.origin);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('post_logout_redirect_uri not registered');
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: home, state: 'bye' });
    const confirm = await person.browser.follow(logout, relay.origin);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('asks to sign you out');
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.text)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)![1]!;
    const done = await fetch(new URL(action, relay.origin), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    person.browser.cookies.remember(done);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${home}?state=bye`);
    expect(person.browser.cookies.has('countersign_session')).toBe(false);
    const asked = await person.browser.follow((await startAuthorization(config, app)).authorizationUrl, relay.origin);
    expect(asked.url.pathname).toBe('/signin');
  });
});

describe('registering apps (admin API)', () => {
  it('refuses bad registrations with a clear error naming the field, and changes nothing', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: '', redirectUris: [REDIRECT] }, 'name'],
      [{ name: 'x'.repeat(65), redirectUris: [REDIRECT] }, 'name'],
      [{ name: 'Two\nlines', redirectUris: [REDIRECT] }, 'name'],
      [{ name: 'App', redirectUris: [] }, 'redirectUris'],
      [{ name: 'App', redirectUris: ['http://app.example/cb'] }, 'redirectUris'],
      [{ name: 'App', redirectUris: ['https://app.example/cb#frag'] }, 'redirectUris'],
      [{ name: 'App', redirectUris: ['https://user:pw@app.example/cb'] }, 'redirectUris'],
      [{ name: 'App', redirectUris: ['not a url'] }, 'redirectUris'],
      [{ name: 'App', redirectUris: [REDIRECT], public: 'yes' }, 'public'],
      // Sign-out addresses are checked as redirect URIs are.
      [{ name: 'App', redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://app.example/'] }, 'postLogoutRedirectUris'],
      [{ name: 'App', redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://app.example/#x'] }, 'postLogoutRedirectUris'],
      [{ name: 'App', redirectUris: [REDIRECT], postLogoutRedirectUris: 'https://app.example/' }, 'postLogoutRedirectUris'],
      [{ name: 'App', redirectUris: [REDIRECT], postLogoutRedirectUris: Array(11).fill('https://a.example/') }, 'postLogoutRedirectUris'],
      [{ name: 'App', redirectUris: [REDIRECT], backchannelLogoutUri: 'http://app.example/logout' }, 'backchannelLogoutUri'],
      [{ name: 'App', redirectUris: [REDIRECT], backchannelLogoutUri: 'javascript:alert(1)' }, 'backchannelLogoutUri'],
      [{ name: 'App', redirectUris: [REDIRECT], backchannelLogoutUri: `https://app.example/${'x'.repeat(2100)}` }, 'backchannelLogoutUri'],
      [{ name: 'App', redirectUris: [REDIRECT], idTokenAlg: 'HS256' }, 'idTokenAlg'],
      [{ name: 'App', redirectUris: [REDIRECT], idTokenAlg: 'none' }, 'idTokenAlg'],
    ];
    for (const [body, field] of bad) {
      const answer = await relay.http('POST', '/api/v1/admin/apps', { admin: true, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message, JSON.stringify(body)).toContain(field);
    }
    expect((await relay.http('POST', '/api/v1/admin/apps', { body: { name: 'App', redirectUris: [REDIRECT] } })).status).toBe(401);
    expect((await relay.http('GET', '/api/v1/admin/apps', { bearer: 'wrong' })).status).toBe(401);
    expect((await relay.http('DELETE', '/api/v1/admin/apps/no-such-app', { admin: true })).status).toBe(404);
    expect((await relay.http('DELETE', '/api/v1/admin/apps/bad%20id', { admin: true })).status).toBe(400);
    const before = (await relay.http('GET', '/api/v1/admin/apps', { admin: true })).body.apps as { clientId: string }[];

    const ok = await relay.http('POST', '/api/v1/admin/apps', {
      admin: true,
      body: { name: 'Expense Reports', redirectUris: ['https://expenses.example/cb', 'http://localhost:3000/cb'] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.clientSecret).toMatch(/^[\w-]{44}$/);
    const listed = (await relay.http('GET', '/api/v1/admin/apps', { admin: true })).body.apps;
    expect(listed).toHaveLength(before.length + 1);
    expect(listed).toContainEqual(
      expect.objectContaining({
        clientId: ok.body.clientId,
        name: 'Expense Reports',
        public: false,
        postLogoutRedirectUris: [],
        backchannelLogoutUri: null,
        idTokenAlg: 'RS256',
      }),
    );
    const full = await relay.http('POST', '/api/v1/admin/apps', {
      admin: true,
      body: {
        name: 'Team Wiki',
        redirectUris: ['https://wiki.example/cb'],
        postLogoutRedirectUris: ['https://wiki.example/', 'https://wiki.example/'],
        backchannelLogoutUri: 'https://wiki.example/backchannel',
        idTokenAlg: 'ES256',
      },
    });
    expect(full.status).toBe(201);
    expect(full.body).toMatchObject({
      postLogoutRedirectUris: ['https://wiki.example/'],
      backchannelLogoutUri: 'https://wiki.example/backchannel',
      idTokenAlg: 'ES256',
    });
    // The secret is shown once and never stored: neither the list nor the database holds it.
    expect(JSON.stringify(listed)).not.toContain(ok.body.clientSecret);
    const row = await relay.running.relay.store.db
      .selectFrom('apps')
      .selectAll()
      .where('client_id', '=', ok.body.clientId)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(ok.body.clientSecret);
  });

  it('the demo’s sample app gets its home as post-logout URI, also on a demo database from before', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const { store } = relay.running.relay;
    expect((await store.apps.byClientId('sample-app'))?.postLogoutRedirectUris).toEqual([
      'http://localhost:3000/',
      'http://127.0.0.1:3000/',
    ]);
    await store.apps.setPostLogoutRedirectUris('sample-app', []);
    await seedDemoApps(store, Date.now());
    expect((await store.apps.byClientId('sample-app'))?.postLogoutRedirectUris).toEqual([
      'http://localhost:3000/',
      'http://127.0.0.1:3000/',
    ]);
    // An administrator's own choice is left alone.
    await store.apps.setPostLogoutRedirectUris('sample-app', ['https://elsewhere.example/']);
    await seedDemoApps(store, Date.now());
    expect((await store.apps.byClientId('sample-app'))?.postLogoutRedirectUris).toEqual(['https://elsewhere.example/']);
  });

  it('has no dynamic registration, and discovery says what the provider does', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const discovery = await relay.http('GET', '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({
      issuer: relay.origin,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      end_session_endpoint: `${relay.origin}/oidc/session/end`,
    });
    expect(discovery.body.registration_endpoint).toBeUndefined();
    expect(discovery.body.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(discovery.body.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    );
    expect((await relay.http('POST', '/oidc/reg', { body: { redirect_uris: [REDIRECT] } })).status).toBe(404);
  });
});
