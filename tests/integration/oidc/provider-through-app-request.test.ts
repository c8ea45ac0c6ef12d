import { describe, expect, it } from 'vitest';
import { startTestRelay } from '../helpers/test-relay.ts';
import { registerApp } from './browser-and-app.ts';

/**
 * The OpenID Provider is one route of the Hono app (oidc/provider-routes.ts), so `app.request()`
 * reaches it without a listening server, as it reaches every other route; and over the real
 * server it answers the same.
 */
describe('the OpenID Provider through app.request()', () => {
  it('answers discovery and the key set as it does over HTTP', async () => {
    const relay = await startTestRelay();
    const { app } = relay.running.relay;

    const viaApp = await app.request(`${relay.origin}/.well-known/openid-configuration`);
    expect(viaApp.status).toBe(200);
    expect(viaApp.headers.get('content-type')).toMatch(/application\/json/);
    const discovery = (await viaApp.json()) as { issuer: string; jwks_uri: string };
    const viaServer = (await (await fetch(`${relay.origin}/.well-known/openid-configuration`)).json()) as typeof discovery;
    expect(discovery).toEqual(viaServer);

    const keys = (await (await app.request(discovery.jwks_uri)).json()) as { keys: { kty: string; d?: string }[] };
    expect(keys.keys.length).toBeGreaterThan(0);
    expect(keys.keys.every((key) => key.d === undefined)).toBe(true);
  });

  it('refuses an unknown client with its error page and never redirects to the given URI', async () => {
    const relay = await startTestRelay();
    const query = new URLSearchParams({
      client_id: 'no-such-app',
      redirect_uri: 'https://attacker.example/cb',
      response_type: 'code',
      scope: 'openid',
    });
    const answer = await relay.running.relay.app.request(`${relay.origin}/oidc/auth?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(answer.headers.get('content-security-policy')).toMatch(/default-src/);
  });

  it('reads a posted body: the token endpoint authenticates the client from it', async () => {
    const relay = await startTestRelay();
    const registered = await registerApp(relay);
    const token = (secret: string) =>
      relay.running.relay.app.request(`${relay.origin}/oidc/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(registered.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'never-issued',
          redirect_uri: 'https://app.example/cb',
        }).toString(),
      });
    expect(((await (await token(registered.clientSecret!)).json()) as { error: string }).error).toBe('invalid_grant');
    expect(((await (await token('wrong')).json()) as { error: string }).error).toBe('invalid_client');
  });

  it('leaves the interaction pages to the relay', async () => {
    const relay = await startTestRelay();
    const answer = await relay.running.relay.app.request(`${relay.origin}/oidc/interaction/not-a-real-uid`);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(await answer.text()).not.toMatch(/server_error/);
  });
});
