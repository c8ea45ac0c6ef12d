import { describe, expect, it } from 'vitest';
import { AUTH_REQUESTS_PER_MINUTE } from '../../relay-server/oidc/auth-request-caps.ts';
import { RealTimeClock, startTestRelay } from '../integration/helpers/test-relay.ts';
import { REDIRECT, registerApp } from '../integration/oidc/browser-and-app.ts';
import { ClientAt } from './helpers/client-at.ts';
import { familiarBrowserAt } from './helpers/familiar-browser.ts';

/**
 * Issue 18: `/oidc/auth` from one client stored an interaction per request (88.6 MB in 20 s). Now
 * each client may make 60 a minute and, past a cap on stored interactions, unfamiliar clients are
 * refused with a 429 page before the provider stores anything.
 */
describe('OpenID Connect authorization requests', () => {
  it('oidc/auth flood stores nothing past the cap, and a familiar browser still gets through', async () => {
    const relay = await startTestRelay({ env: { TRUST_PROXY: '1' }, clock: new RealTimeClock() });
    const app = await registerApp(relay);
    const authUrl = `/oidc/auth?${new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      state: 'state-1',
      nonce: 'nonce-1',
    })}`;
    const { db } = relay.running.relay.store;
    const stored = async () =>
      Number(
        (
          await db
            .selectFrom('oidc_payloads')
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .where('model', '=', 'Interaction')
            .executeTakeFirstOrThrow()
        ).n,
      );

    const flooder = new ClientAt(relay.origin, '198.51.100.7');
    for (let i = 0; i < AUTH_REQUESTS_PER_MINUTE; i += 1) expect((await flooder.get(authUrl)).status).toBe(303);
    expect(await stored()).toBe(AUTH_REQUESTS_PER_MINUTE);
    const limited = await flooder.get(authUrl);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.text).toMatch(/paused/);
    expect(await stored()).toBe(AUTH_REQUESTS_PER_MINUTE);

    // The relay-wide cap: other strangers are refused once it is full, and store nothing.
    relay.running.relay.openid.authCaps!.maxStoredInteractions = AUTH_REQUESTS_PER_MINUTE + 5;
    const second = new ClientAt(relay.origin, '198.51.100.8');
    for (let i = 0; i < 5; i += 1) expect((await second.get(authUrl)).status).toBe(303);
    const capped = await second.get(authUrl);
    expect(capped.status).toBe(429);
    expect(capped.text).toMatch(/unknown places are paused/);
    expect(await stored()).toBe(AUTH_REQUESTS_PER_MINUTE + 5);

    // A person's familiar browser is never refused because of the cap.
    const user = await relay.createUser();
    const { device } = await relay.pairDevice(user.upn);
    const home = await familiarBrowserAt(relay, device, user.upn, '203.0.113.9');
    expect((await home.get(authUrl)).status).toBe(303);
  }, 60_000);
});
