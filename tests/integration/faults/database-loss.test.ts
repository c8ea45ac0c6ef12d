import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, SERVICES, servicesAvailable } from '../scale/scale-services.ts';
import { getJson, waitFor } from './fault-processes.ts';
import { TcpBalancer } from './tcp-balancer.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';

const ADMIN_TOKEN = 'fault-db-admin-token-0123456789';
const UPN = 'db-fault@example.test';

describe.runIf(servicesAvailable)('a relay that loses its PostgreSQL connection', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let proxy: TcpBalancer;
  let relay: RunningRelay;
  let device: VirtualDevice;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    // The relay reaches PostgreSQL through a proxy the test can cut: a lost network path, without
    // stopping the PostgreSQL other test files share.
    const url = new URL(database.url);
    proxy = await TcpBalancer.start([Number(url.port)]);
    url.port = String(proxy.port);
    relay = await startRelay({ demo: false, env: { DATABASE_URL: url.toString(), REDIS_URL: SERVICES.redisUrl!, ADMIN_TOKEN } });
    const admin = new AdminClient(relay.origin, ADMIN_TOKEN);
    device = await userWithConnectedDevice(admin, { upn: UPN, displayName: 'Database Fault' });
  }, 30_000);

  afterAll(async () => {
    await device?.close();
    proxy?.restore();
    await relay?.stop();
    await proxy?.close();
    await database?.drop();
  });

  async function signIn() {
    const browser = new SigninClient(relay.origin);
    const signin = await browser.createSignin({ upn: UPN });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await browser.waitForOutcome(signin)).toEqual({ status: 'approved' });
  }

  it('answers 503 unavailable and says not ready while the database is gone, then recovers', async () => {
    await signIn();

    proxy.cut();
    const json = { 'content-type': 'application/json' };
    const calls = [
      () => getJson(relay.origin, '/api/v1/signins', { method: 'POST', headers: json, body: JSON.stringify({ upn: UPN }) }),
      () =>
        getJson(relay.origin, `/api/v1/admin/users/${encodeURIComponent(UPN)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      () => getJson(relay.origin, '/api/v1/admin/policy', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    ];
    for (const call of calls) {
      const answer = await call();
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: { code: 'unavailable', message: expect.any(String) } });
    }
    expect((await getJson(relay.origin, '/readyz')).status).toBe(503);
    // Still the same process, still answering.
    expect((await getJson(relay.origin, '/healthz')).status).toBe(200);

    proxy.restore();
    await waitFor('/readyz to say ready again', async () => (await getJson(relay.origin, '/readyz')).status === 200);
    await signIn();
  }, 30_000);

  it('tells an authenticator at once that its unlock or decision did not land, and the request waits for another answer', async () => {
    const browser = new SigninClient(relay.origin);
    const signin = await browser.createSignin({ upn: UPN });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    proxy.cut();
    // Far shorter than the wait for a result: `error unavailable` ends it (the PIN's unlock first,
    // then a decision that needs no evaluation).
    const soon = { timeoutMs: 8_000 };
    await expect(device.approve(signin.requestId, signin.number, soon)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(device.approve(signin.requestId, signin.number, { ...soon, unlock: 'webauthn' })).rejects.toMatchObject({
      code: 'unavailable',
    });

    proxy.restore();
    await waitFor('/readyz to say ready again', async () => (await getJson(relay.origin, '/readyz')).status === 200);
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await browser.waitForOutcome(signin)).toEqual({ status: 'approved' });
  }, 40_000);
});
