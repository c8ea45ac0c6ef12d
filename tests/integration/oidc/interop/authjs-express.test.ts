import type { Server } from 'node:http';
import { ExpressAuth, getSession, type ExpressAuthConfig } from '@auth/express';
import express from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RealTimeClock, startTestRelay, type TestRelay } from '../../helpers/test-relay.ts';
import { personWithDevice, type Person } from '../browser-and-app.ts';
import { browse } from './cross-site-browser.ts';

/** A free port on 127.0.0.1, so the app's redirect URI can be registered before it starts. */
async function freePort(): Promise<number> {
  const probe = express().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Auth.js through @auth/express (nobody here wrote it), with Countersign as a generic OIDC provider
 * exactly as the README's recipe: the session's user has the name and email, and the recipe's
 * profile callback maps the groups claim to roles.
 */
async function startApp(relay: TestRelay, port: number, client: { clientId: string; clientSecret: string }) {
  const config: ExpressAuthConfig = {
    secret: 'a-long-random-auth-js-secret-for-this-test-only',
    trustHost: true,
    providers: [
      {
        id: 'countersign',
        name: 'Countersign',
        type: 'oidc',
        issuer: relay.origin,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        authorization: { params: { scope: 'openid profile email groups' } },
        profile: (claims) => ({ id: claims.sub, name: claims.name, email: claims.email, roles: claims.groups }),
      },
    ],
    callbacks: {
      jwt: ({ token, profile }) => (profile ? { ...token, roles: profile.groups } : token),
      session: ({ session, token }) => ({ ...session, roles: token.roles }),
    },
  };
  const app = express();
  app.set('trust proxy', true);
  app.use('/auth', ExpressAuth(config));
  app.get('/', async (req, res) => {
    res.json((await getSession(req, config)) ?? { anonymous: true });
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${port}`;
}

/** Auth.js signs in by a POST with its CSRF token, as its sign-in page does. */
async function signInThroughAuthJs(relay: TestRelay, person: Person, appUrl: string) {
  const csrf = JSON.parse((await person.browser.load(`${appUrl}/auth/csrf`)).text) as { csrfToken: string };
  const started = await fetch(`${appUrl}/auth/signin/countersign`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken: csrf.csrfToken, callbackUrl: `${appUrl}/` }),
  });
  person.browser.cookies.remember(started);
  expect(started.status).toBe(302);
  return browse(relay, person, new URL(started.headers.get('location')!, appUrl));
}

describe('interop: Auth.js (@auth/express)', () => {
  it('signs in (PKCE and the ID token checked by Auth.js); the session has the name, email and groups', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}`, {
      admin: true,
      body: { email: 'alice@example.com', groups: ['staff', 'wiki-editors'] },
    });
    const port = await freePort();
    const registered = await relay.http('POST', '/api/v1/admin/apps', {
      admin: true,
      body: { name: 'Auth.js App', redirectUris: [`http://127.0.0.1:${port}/auth/callback/countersign`] },
    });
    expect(registered.status).toBe(201);
    const appUrl = await startApp(relay, port, registered.body);

    expect(JSON.parse((await person.browser.load(`${appUrl}/`)).text)).toEqual({ anonymous: true });
    const landed = await signInThroughAuthJs(relay, person, appUrl);
    expect(landed.url.href).toBe(`${appUrl}/`);
    const session = JSON.parse(landed.text) as { user: Record<string, unknown>; roles: string[] };
    expect(session.user).toMatchObject({ name: 'Alice Example', email: 'alice@example.com' });
    expect(session.roles).toEqual(['staff', 'wiki-editors']);
  });
});
