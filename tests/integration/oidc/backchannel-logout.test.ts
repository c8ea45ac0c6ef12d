import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { RealTimeClock, startTestRelay, type TestRelay } from '../helpers/test-relay.ts';
import {
  personWithDevice,
  redeemCode,
  registerApp,
  relyingParty,
  signInThroughApp,
  startAuthorization,
  type Person,
} from './browser-and-app.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * An app's back-channel logout receiver, validating each logout token with jose as Back-Channel
 * Logout 1.0 section 2.6 lists: signature by the issuer's keys, iss, aud, iat, exp, jti, the
 * event, sub and sid, no nonce, typ logout+jwt. `answers` sets the status of each delivery in turn.
 */
async function logoutReceiver(relay: TestRelay, answers: number[] = []) {
  const received: { claims: JWTPayload; alg: string }[] = [];
  const rejected: string[] = [];
  let calls = 0;
  const jwks = createRemoteJWKSet(new URL(`${relay.origin}/oidc/jwks`));
  let clientId = '';
  let alg = 'RS256';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const status = answers[calls++] ?? 200;
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      void (async () => {
        try {
          expect(req.method).toBe('POST');
          expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
          const { payload, protectedHeader } = await jwtVerify(token, jwks, {
            issuer: relay.origin,
            audience: clientId,
            algorithms: [alg],
            typ: 'logout+jwt',
            requiredClaims: ['iat', 'exp', 'jti', 'events', 'sub', 'sid'],
            maxTokenAge: '2 minutes',
          });
          expect(payload.events).toEqual({ [BACKCHANNEL_EVENT]: {} });
          expect(payload.nonce).toBeUndefined();
          if (status === 200) received.push({ claims: payload, alg: protectedHeader.alg });
        } catch (error) {
          rejected.push(error instanceof Error ? error.message : String(error));
        }
        res.writeHead(status).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address() as { port: number };
  return {
    uri: `http://127.0.0.1:${address.port}/backchannel-logout`,
    received,
    rejected,
    calls: () => calls,
    expect: (app: { clientId: string }, idTokenAlg = 'RS256') => {
      clientId = app.clientId;
      alg = idTokenAlg;
    },
  };
}

async function signedInApp(relay: TestRelay, person: Person, body: Record<string, unknown>) {
  const app = await registerApp(relay, body);
  const config = await relyingParty(relay.origin, app);
  const started = await startAuthorization(config, app, { scope: 'openid offline_access' });
  const first = await person.browser.follow(started.authorizationUrl, relay.origin);
  const callback = first.url.origin === relay.origin ? await signInThroughApp(relay, person, started) : first.url;
  return { app, config, tokens: await redeemCode(config, callback, started) };
}

async function signOutOfRelay(relay: TestRelay, person: Person) {
  const me = await person.browser.load(`${relay.origin}/me`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(me.text)![1]!;
  return fetch(`${relay.origin}/signout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded', origin: relay.origin },
    body: new URLSearchParams({ csrf }),
  });
}

describe('Back-Channel Logout 1.0 (docs/protocol.md section 9)', () => {
  it('signing out of Countersign sends each app a logout token with the sub and sid of its ID token', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const receiver = await logoutReceiver(relay);
    const { app, tokens } = await signedInApp(relay, person, { backchannelLogoutUri: receiver.uri, idTokenAlg: 'ES256' });
    receiver.expect(app, 'ES256');
    const idToken = tokens.claims()!;
    expect(idToken.sid).toEqual(expect.any(String));

    expect((await signOutOfRelay(relay, person)).status).toBe(303);
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000 });
    expect(receiver.rejected).toEqual([]);
    expect(receiver.received[0]).toMatchObject({ alg: 'ES256', claims: { sub: person.user.userId, sid: idToken.sid, aud: app.clientId } });
  });

  it('is retried when the app does not answer 200, and the sign-out does not wait for it', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    relay.running.relay.openid.backchannel.delaysMs = [10, 10, 10];
    const person = await personWithDevice(relay);
    const receiver = await logoutReceiver(relay, [500, 503, 200]);
    const { app } = await signedInApp(relay, person, { backchannelLogoutUri: receiver.uri });
    receiver.expect(app);
    const before = Date.now();
    expect((await signOutOfRelay(relay, person)).status).toBe(303);
    expect(Date.now() - before).toBeLessThan(2_000);
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000 });
    expect(receiver.calls()).toBe(3);
    expect(receiver.rejected).toEqual([]);
  });

  it('RP-initiated logout, "sign out everywhere" and a password reset each log the other apps out', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const receiver = await logoutReceiver(relay);
    const tellsApp = await signedInApp(relay, person, { name: 'Wiki', backchannelLogoutUri: receiver.uri });
    receiver.expect(tellsApp.app);
    const leaving = await signedInApp(relay, person, { name: 'Payroll' });

    // Payroll signs the person out (RP-initiated): the wiki hears of it.
    const logout = oidc.buildEndSessionUrl(leaving.config, { id_token_hint: leaving.tokens.id_token! });
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
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000 });
    expect(receiver.received[0]!.claims.sid).toBe(tellsApp.tokens.claims()!.sid);

    // Signed in again: the admin signs them out everywhere; then again, and a password reset.
    for (const [method, path, body] of [
      ['POST', '/signout', undefined],
      ['PATCH', '', { password: 'a brand new password' }],
    ] as const) {
      person.browser.cookies.delete('countersign_session');
      const again = await signedInApp(relay, person, { name: `Wiki ${method}`, backchannelLogoutUri: receiver.uri });
      receiver.expect(again.app);
      const count = receiver.received.length;
      const answer = await relay.http(method, `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}${path}`, {
        admin: true,
        ...(body ? { body } : {}),
      });
      expect(answer.status).toBeLessThan(300);
      await vi.waitFor(() => expect(receiver.received).toHaveLength(count + 1), { timeout: 5_000 });
      expect(receiver.received.at(-1)!.claims).toMatchObject({ sub: person.user.userId, sid: again.tokens.claims()!.sid });
    }
    expect(receiver.rejected).toEqual([]);
  });

  it('an app without a receiver is not called, and a new sign-in by the same person logs no app out', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    const receiver = await logoutReceiver(relay);
    const { app } = await signedInApp(relay, person, { backchannelLogoutUri: receiver.uri });
    receiver.expect(app);
    await person.signInOnRelay(); // replaces the relay session: the same person, the app stays signed in
    await signedInApp(relay, person, { name: 'No receiver' });
    await relay.running.relay.openid.backchannel.settled();
    expect(receiver.calls()).toBe(0);
  });
});
