import { describe, expect, it } from 'vitest';
import { RealTimeClock, startTestRelay, type TestRelay } from '../helpers/test-relay.ts';
import { personWithDevice, REDIRECT, registerApp, relyingParty, startAuthorization, waitingApp, type Person } from './browser-and-app.ts';

/** The password page's form, posted as a browser would (CSRF token from the page, same origin). */
async function passwordSignIn(relay: TestRelay, person: Person, password: string, fields: Record<string, string>) {
  const query = new URLSearchParams(fields);
  const page = await person.browser.load(`${relay.origin}/signin/password?${query}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const posted = await fetch(`${relay.origin}/signin/password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
    body: new URLSearchParams({ csrf, upn: person.user.upn, password, ...fields }),
  });
  person.browser.cookies.remember(posted);
  return { status: posted.status, location: posted.headers.get('location') };
}

async function abandonedAppSignin(relay: TestRelay) {
  const app = await registerApp(relay, { name: 'Sample App' });
  const person = await personWithDevice(relay);
  const config = await relyingParty(relay.origin, app);
  const started = await startAuthorization(config, app);
  // The person leaves the Sample App's sign-in half way, on the sign-in page.
  const left = await person.browser.follow(started.authorizationUrl, relay.origin);
  expect(left.url.pathname).toBe('/signin');
  return { app, person, left, started };
}

describe('a sign-in returns to the app it was started for, and only to it', () => {
  it('an abandoned app sign-in does not capture a later direct sign-in, by push or by password', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const { person } = await abandonedAppSignin(relay);
    const wiki = await registerApp(relay, { name: 'Team Wiki' });

    // Nothing about the waiting interaction is kept in a cookie a later sign-in could pick up.
    expect(person.browser.cookies.has('countersign_return_to')).toBe(false);

    // A direct sign-in for another app: the page returns to /me, and /me stays on /me.
    const page = await person.browser.load(`${relay.origin}/signin?app=${wiki.clientId}`);
    expect(page.text).not.toContain('/oidc/interaction/');
    await person.signInOnRelay(wiki.clientId);
    const me = await person.browser.follow('/me', relay.origin);
    expect(me.url.pathname).toBe('/me');
    expect(me.status).toBe(200);
  });

  it('the password page returns to the interaction only when the form carries it; otherwise to /me', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const { app, person, left, started } = await abandonedAppSignin(relay);
    const user = await relay.createUser({ password: 'correct horse battery' });
    const withPassword: Person = { ...person, user: { ...user } };

    const direct = await passwordSignIn(relay, withPassword, 'correct horse battery', {});
    expect(direct).toEqual({ status: 303, location: '/me' });
    const me = await withPassword.browser.follow('/me', relay.origin);
    expect(me.url.pathname).toBe('/me');

    // The same browser, now signing in for the Sample App from its own sign-in page: back to the app.
    const uid = left.url.searchParams.get('interaction')!;
    const forApp = await passwordSignIn(relay, withPassword, 'correct horse battery', { app: app.clientId, interaction: uid });
    expect(forApp).toEqual({ status: 303, location: waitingApp(left.url) });
    const callback = await withPassword.browser.follow(forApp.location!, relay.origin);
    expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
    expect(callback.url.searchParams.get('state')).toBe(started.state);
  });

  it('an interaction value that is not an uid is ignored: the sign-in never leaves for another path', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const user = await relay.createUser({ password: 'correct horse battery' });
    const person = { ...(await personWithDevice(relay)), user };
    for (const interaction of ['../../admin', '//evil.example', 'a b', 'x'.repeat(100), '']) {
      const page = await person.browser.load(`${relay.origin}/signin?interaction=${encodeURIComponent(interaction)}`);
      expect(page.status).toBe(200);
      expect(page.text, interaction).not.toContain('data-return-to');
      const answer = await passwordSignIn(relay, person, 'correct horse battery', { interaction });
      expect(answer, interaction).toEqual({ status: 303, location: '/me' });
    }
  });

  it('a return-to cookie naming an interaction (left by an older relay) is dropped, not followed', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const { person, left } = await abandonedAppSignin(relay);
    person.browser.cookies.set('countersign_return_to', `${Date.now()}|${waitingApp(left.url)}`);
    await person.signInOnRelay();
    const me = await person.browser.load(`${relay.origin}/me`);
    expect(me.status).toBe(200);
    expect(person.browser.cookies.has('countersign_return_to')).toBe(false);
  });

  it('the sign-in page for an app’s interaction returns to it and carries it to the password page', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const { app, person, left } = await abandonedAppSignin(relay);
    const page = await person.browser.load(left.url);
    const uid = left.url.searchParams.get('interaction')!;
    expect(page.text).toContain(`data-return-to="/oidc/interaction/${uid}"`);
    expect(page.text).toContain(`/signin/password?app=${app.clientId}&amp;interaction=${uid}`);
    const password = await person.browser.load(`${relay.origin}/signin/password?app=${app.clientId}&interaction=${uid}`);
    expect(password.text).toContain(`name="interaction" value="${uid}"`);
  });
});
