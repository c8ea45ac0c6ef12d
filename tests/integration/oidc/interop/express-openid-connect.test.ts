import type { Server } from 'node:http';
import express from 'express';
import { auth } from 'express-openid-connect';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RealTimeClock, startTestRelay } from '../../helpers/test-relay.ts';
import { personWithDevice } from '../browser-and-app.ts';
import { browse, confirmLogout } from './cross-site-browser.ts';

/**
 * express-openid-connect (Auth0's middleware, which nobody here wrote) as a confidential client,
 * configured as the README's recipe says: login, the ID token's claims, userinfo, refresh, and
 * RP-initiated logout back to its base URL.
 */
async function startApp(issuer: string, client: { clientId: string; clientSecret: string }, port = 0) {
  const app = express();
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const baseURL = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  app.use(
    auth({
      issuerBaseURL: issuer,
      baseURL,
      clientID: client.clientId,
      clientSecret: client.clientSecret,
      secret: 'a-long-random-session-secret-for-this-test-only',
      authRequired: false,
      idpLogout: true,
      // The README's recipe: the code flow is the only flow.
      authorizationParams: { response_type: 'code', scope: 'openid profile email groups offline_access' },
    }),
  );
  app.get('/', (req, res) => {
    res.json(req.oidc.isAuthenticated() ? { user: req.oidc.user, idTokenClaims: req.oidc.idTokenClaims } : { anonymous: true });
  });
  app.get('/userinfo', async (req, res) => {
    res.json(await req.oidc.fetchUserInfo());
  });
  app.get('/refresh', async (req, res) => {
    const before = req.oidc.refreshToken;
    const accessToken = await req.oidc.accessToken!.refresh();
    res.json({ before, after: req.oidc.refreshToken, accessToken: accessToken.access_token });
  });
  return { baseURL, server };
}

describe('interop: express-openid-connect', () => {
  it('signs in, reads userinfo, refreshes with a rotated token, and signs out through the relay back to its base URL', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}`, {
      admin: true,
      body: { email: 'alice@example.com', groups: ['staff'] },
    });
    // The port first, so the app's URIs can be registered before it starts.
    const probe = express().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const base = `http://127.0.0.1:${port}`;
    const registered = await relay.http('POST', '/api/v1/admin/apps', {
      admin: true,
      body: { name: 'Express App', redirectUris: [`${base}/callback`], postLogoutRedirectUris: [base, `${base}/`] },
    });
    expect(registered.status).toBe(201);
    const { baseURL } = await startApp(relay.origin, registered.body, port);

    const home = await browse(relay, person, `${baseURL}/login`);
    expect(home.url.href).toBe(`${baseURL}/`);
    const signedIn = JSON.parse(home.text) as { user: Record<string, unknown>; idTokenClaims: Record<string, unknown> };
    expect(signedIn.user).toMatchObject({
      sub: person.user.userId,
      preferred_username: person.user.upn,
      email: 'alice@example.com',
      groups: ['staff'],
    });
    expect(signedIn.idTokenClaims.sid).toEqual(expect.any(String));

    const userinfo = await browse(relay, person, `${baseURL}/userinfo`);
    expect(JSON.parse(userinfo.text)).toMatchObject({ sub: person.user.userId, email: 'alice@example.com' });

    const refreshed = JSON.parse((await browse(relay, person, `${baseURL}/refresh`)).text) as Record<string, string>;
    expect(refreshed.before).toEqual(expect.any(String));
    expect(refreshed.after).toEqual(expect.any(String));
    expect(refreshed.after).not.toBe(refreshed.before);

    // /logout: to the relay's end_session with the base URL as post_logout_redirect_uri.
    const confirm = await browse(relay, person, `${baseURL}/logout`);
    expect(confirm.url.pathname).toBe('/oidc/session/end');
    const back = await confirmLogout(relay, person, confirm);
    expect(back.origin).toBe(baseURL);
    const after = await browse(relay, person, back, { signIn: false });
    expect(JSON.parse(after.text)).toEqual({ anonymous: true });
    expect(person.browser.cookies.has('countersign_session')).toBe(false);
  });
});
