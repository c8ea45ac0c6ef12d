import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
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
} from './browser-and-app.ts';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';

describe('the OpenID Provider: authorization code flow with openid-client as the app', () => {
  it('signs a person in: ID token checked through the published JWKS, amr and names right, userinfo the same, the code works once', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    expect(config.serverMetadata().issuer).toBe(relay.origin);
    const started = await startAuthorization(config, app);
    const seen: string[] = [];
    person.device.on('challenge', (challenge) => seen.push(challenge.app?.name ?? ''));
    const callback = await signInThroughApp(relay, person, started);
    // The push and the sign-in log name the app as registered.
    expect(seen).toEqual(['Expense Reports']);
    expect((await relay.admin.listSignins({ upn: person.user.upn }))[0]).toMatchObject({ app: 'Expense Reports', status: 'approved' });

    const tokens = await redeemCode(config, callback, started);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(relay.origin);
    expect(claims.aud).toBe(app.clientId);
    expect(claims.sub).toBe(person.user.userId);
    expect(claims.preferred_username).toBe(person.user.upn);
    expect(claims.name).toBe('Alice Example');
    expect(claims.amr).toEqual(['swk', 'pin', 'mfa']);
    expect(typeof claims.auth_time).toBe('number');
    // Independently of openid-client: the signature verifies with the keys at jwks_uri.
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    await expect(jwtVerify(tokens.id_token!, jwks, { issuer: relay.origin, audience: app.clientId })).resolves.toBeTruthy();
    expect(['RS256', 'ES256']).toContain(decodeProtectedHeader(tokens.id_token!).alg);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: person.user.userId, preferred_username: person.user.upn, name: 'Alice Example' });
    expect(tokens.refresh_token).toBeUndefined();

    await expect(redeemCode(config, callback, started)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a code with the wrong PKCE verifier, and a wrong client secret (basic or post)', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const started = await startAuthorization(config, app);
    const callback = await signInThroughApp(relay, person, started);
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedNonce: started.nonce,
        expectedState: started.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    for (const auth of ['basic', 'post'] as const) {
      const wrong = await relyingParty(relay.origin, { ...app, clientSecret: `${app.clientSecret}x` }, auth);
      const again = await startAuthorization(wrong, app);
      const code = await signInThroughApp(relay, person, again);
      const refused = await oidc
        .authorizationCodeGrant(wrong, code, {
          pkceCodeVerifier: again.codeVerifier,
          expectedNonce: again.nonce,
          expectedState: again.state,
        })
        .then(
          () => null,
          (error: unknown) => error as { status?: number; error?: string; cause?: Array<{ parameters?: { error?: string } }> },
        );
      expect(refused?.status).toBe(401);
      expect(refused?.error ?? refused?.cause?.[0]?.parameters?.error).toBe('invalid_client');
    }
    // The right secret sent in the body (client_secret_post) works as well as the header.
    const post = await relyingParty(relay.origin, app, 'post');
    const third = await startAuthorization(post, app);
    const code = await signInThroughApp(relay, person, third);
    const tokens = await redeemCode(post, code, third);
    expect(tokens.claims()!.sub).toBe(person.user.userId);
  });

  it('a public client must use PKCE, and gets no secret', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay, { public: true });
    expect(app.clientSecret).toBeUndefined();
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app, 'none');
    const withoutPkce = new URL(
      oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: oidc.randomNonce(), state: 'x' }),
    );
    const refused = await person.browser.follow(withoutPkce, relay.origin);
    // An error for a registered redirect URI goes back to the app, as OAuth wants.
    expect(refused.url.origin).toBe(new URL(REDIRECT).origin);
    expect(refused.url.searchParams.get('error')).toBe('invalid_request');
    const started = await startAuthorization(config, app);
    const callback = await signInThroughApp(relay, person, started);
    const tokens = await redeemCode(config, callback, started);
    expect(tokens.claims()!.preferred_username).toBe(person.user.upn);
  });

  it('never redirects to an unregistered redirect URI or for an unknown or deleted app: it shows an error page', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const config = await relyingParty(relay.origin, app);
    const browser = new CookieBrowser(relay.origin);
    const evil = await startAuthorization(config, { ...app, redirectUri: 'https://evil.example/steal' });
    const answer = await browser.load(evil.authorizationUrl);
    expect(answer.status).toBe(400);
    expect(answer.location).toBeNull();
    expect(answer.text).toContain('has not registered');
    expect(answer.text).not.toContain('evil.example/steal"');

    const unknown = new URL(evil.authorizationUrl);
    unknown.searchParams.set('client_id', 'no-such-app');
    unknown.searchParams.set('redirect_uri', REDIRECT);
    const unknownAnswer = await browser.load(unknown);
    expect(unknownAnswer.status).toBe(400);
    expect(unknownAnswer.location).toBeNull();
    expect(unknownAnswer.text).toContain('not registered with Countersign');

    expect((await relay.http('DELETE', `/api/v1/admin/apps/${app.clientId}`, { admin: true })).status).toBe(204);
    const afterDelete = await browser.load((await startAuthorization(config, app)).authorizationUrl);
    expect(afterDelete.status).toBe(400);
    expect(afterDelete.location).toBeNull();
  });

  it('after a key rotation, tokens signed before still verify through jwks_uri and new ones use the new key', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const person = await personWithDevice(relay);
    const config = await relyingParty(relay.origin, app);
    const tokenOnce = async () => {
      const started = await startAuthorization(config, app);
      const callback = await signInThroughApp(relay, person, started);
      const tokens = await redeemCode(config, callback, started);
      return tokens.id_token!;
    };
    const before = await tokenOnce();
    expect((await relay.http('POST', '/api/v1/admin/apps/signing-keys/rotate', { admin: true })).status).toBe(204);
    expect((await relay.http('POST', '/api/v1/admin/apps/signing-keys/rotate')).status).toBe(401);
    const after = await tokenOnce();
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    for (const token of [before, after])
      await expect(jwtVerify(token, jwks, { issuer: relay.origin, audience: app.clientId })).resolves.toBeTruthy();
  });
});
