import { describe, expect, it } from 'vitest';
import { startTestRelay } from '../helpers/test-relay.ts';
import { registerApp } from './browser-and-app.ts';

/**
 * The relay keeps an app's secret only as a SHA-256 digest and compares it by overriding
 * oidc-provider's `Client.prototype.compareClientSecret` (oidc/provider-config.ts), the hook its
 * author points to for hashed secrets; no configuration option does it. These pin that the
 * library still authenticates clients through that method: were it to compare
 * `client_secret` itself, the digest would open the token endpoint and the secret would not.
 */
describe("the token endpoint's client authentication", () => {
  async function tokenRequest(origin: string, clientId: string, secret: string) {
    const response = await fetch(`${origin}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      },
      // A code that was never issued: the client is authenticated before the grant is looked at.
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'never-issued', redirect_uri: 'https://app.example/cb' }),
    });
    return ((await response.json()) as { error?: string }).error;
  }

  it('accepts the secret itself and refuses its stored digest', async () => {
    const relay = await startTestRelay();
    const app = await registerApp(relay);
    const stored = await relay.running.relay.store.apps.byClientId(app.clientId);
    expect(stored?.secretHash).toMatch(/\S/);
    expect(stored?.secretHash).not.toBe(app.clientSecret);

    expect(await tokenRequest(relay.origin, app.clientId, app.clientSecret!)).toBe('invalid_grant');
    expect(await tokenRequest(relay.origin, app.clientId, stored!.secretHash!)).toBe('invalid_client');
    expect(await tokenRequest(relay.origin, app.clientId, `${app.clientSecret!}x`)).toBe('invalid_client');
  });
});
