import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';
import { SERVICES, freshPostgresDatabase, servicesAvailable, TEST_PIN_KEY } from '../scale/scale-services.ts';
import { redeemCode, REDIRECT, relyingParty, startAuthorization } from './browser-and-app.ts';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';

const ADMIN_TOKEN = 'oidc-two-instances-admin-token-0123456789';

describe.runIf(servicesAvailable)('the OpenID Provider on two relay instances over PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const instances: RunningRelay[] = [];
  let device: VirtualDevice;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: SERVICES.redisUrl!, ADMIN_TOKEN, PIN_KEY: TEST_PIN_KEY };
    const first = await startRelay({ demo: false, env });
    instances.push(first, await startRelay({ demo: false, env: { ...env, RELAY_ORIGIN: first.origin } }));
    device = await userWithConnectedDevice(new AdminClient(first.origin, ADMIN_TOKEN), {
      upn: 'oidc@example.test',
      displayName: 'Olive Idc',
    });
  });

  afterAll(async () => {
    await device?.close();
    for (const instance of instances) await instance.stop();
    await database?.drop();
  });

  it('starts an authorization on one instance, finishes it on the other, and redeems the code on the first', async () => {
    const [onA, onB] = instances as [RunningRelay, RunningRelay];
    const response = await fetch(`${onA.origin}/api/v1/admin/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Shared App', redirectUris: [REDIRECT] }),
    });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as { clientId: string; clientSecret: string };
    const app = { clientId: registered.clientId, clientSecret: registered.clientSecret, redirectUri: REDIRECT };
    const config = await relyingParty(onA.origin, app);
    const started = await startAuthorization(config, app);
    const browser = new CookieBrowser(onA.origin);

    // A: the authorization request; it sends the browser to the interaction page.
    const toInteraction = await browser.load(started.authorizationUrl);
    expect(toInteraction.status).toBe(303);
    const interactionPath = new URL(toInteraction.location!, onA.origin).pathname;

    // The person signs in through B (the push reaches the device connected to A).
    const signins = new SigninClient(onB.address);
    const signin = await signins.createSignin({ upn: 'oidc@example.test' });
    const challenge = await device.waitForChallenge((c) => c.requestId === signin.requestId);
    await device.approve(challenge.requestId, signin.number);
    const completed = await signins.complete(signin);
    const [pair = ''] = (completed.cookie ?? '').split(';');
    browser.cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));

    // B: the interaction, on provider state and cookies A made; then A again (the issuer's
    // address) resumes it and hands out the code.
    const finished = await browser.load(`${onB.address}${interactionPath}`);
    expect(finished.status).toBe(303);
    expect(finished.location).toMatch(new RegExp(`^${onA.origin}/oidc/auth/`));
    const callback = await browser.follow(finished.location!, onA.origin);
    expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
    const tokens = await redeemCode(config, callback.url, started);
    expect(tokens.claims()).toMatchObject({ iss: onA.origin, preferred_username: 'oidc@example.test', amr: ['swk', 'pin', 'mfa'] });
  });
});
