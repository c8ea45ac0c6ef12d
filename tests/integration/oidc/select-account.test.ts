import { describe, expect, it } from 'vitest';
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

describe('prompt=select_account (docs/protocol.md section 9)', () => {
  it('asks whether to continue as the signed-in person; continuing needs the page’s CSRF token', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const alice = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    await signInThroughApp(relay, alice, await startAuthorization(config, app));

    const started = await startAuthorization(config, app, { prompt: 'select_account' });
    const page = await alice.browser.follow(started.authorizationUrl, relay.origin);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Continue as ${alice.user.upn}`);
    expect(page.text).toContain('Sign in as someone else');
    const action = /<form method="post" action="([^"]+\/select)"/.exec(page.text)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const post = (body: Record<string, string>) =>
      fetch(new URL(action, relay.origin), {
        method: 'POST',
        redirect: 'manual',
        headers: { ...alice.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
        body: new URLSearchParams(body),
      });
    expect((await post({})).status).toBe(403);
    const chosen = await post({ csrf });
    expect(chosen.status).toBe(303);
    alice.browser.cookies.remember(chosen);
    const callback = await alice.browser.follow(chosen.headers.get('location')!, relay.origin);
    expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
    expect((await redeemCode(config, callback.url, started)).claims()!.sub).toBe(alice.user.userId);
  });

  it('"Sign in as someone else" signs the other person in and gives the app their identity', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const alice = await personWithDevice(relay);
    const bob = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    await signInThroughApp(relay, alice, await startAuthorization(config, app));

    const started = await startAuthorization(config, app, { prompt: 'select_account' });
    const page = await alice.browser.follow(started.authorizationUrl, relay.origin);
    const other = /href="(\/signin\?[^"]+)" data-testid="sign-in-as-someone-else"/.exec(page.text)![1]!.replaceAll('&amp;', '&');
    const signin = await alice.browser.follow(other, relay.origin);
    expect(signin.url.pathname).toBe('/signin');
    // Bob approves in Alice's browser.
    await bob.signInOnRelay(app.clientId, alice.browser);
    const callback = await alice.browser.follow(waitingApp(signin.url), relay.origin);
    expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
    expect((await redeemCode(config, callback.url, started)).claims()!.sub).toBe(bob.user.userId);
  });

  it('signed out, it is an ordinary sign-in; with prompt=none it is refused as the spec says', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const alice = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app, { prompt: 'select_account' });
    const callback = await signInThroughApp(relay, alice, started);
    expect((await redeemCode(config, callback, started)).claims()!.sub).toBe(alice.user.userId);
    const both = await startAuthorization(config, app, { prompt: 'none select_account' });
    const refused = await alice.browser.follow(both.authorizationUrl, relay.origin);
    expect(refused.url.searchParams.get('error')).toBe('invalid_request');
  });
});
