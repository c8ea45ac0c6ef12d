import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, servicesAvailable, TEST_PIN_KEY } from '../scale/scale-services.ts';
import { getJson, startRedis, waitFor, type ChildServer } from './fault-processes.ts';
import { freePort } from './tcp-balancer.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';

const ADMIN_TOKEN = 'fault-redis-admin-token-0123456789';
const UPN = 'redis-fault@example.test';

describe.runIf(servicesAvailable)('a Redis restart under two running relay instances', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let redisPort: number;
  let redis: ChildServer;
  const instances: RunningRelay[] = [];
  /** Where each instance listens (its `origin` is the public one). */
  const addresses: string[] = [];
  let device: VirtualDevice;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    redisPort = await freePort();
    // The test's own Redis: restarting the shared one would pull it from under other test files.
    redis = await startRedis(redisPort);
    const env = { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${redisPort}`, ADMIN_TOKEN, PIN_KEY: TEST_PIN_KEY };
    // Fixed ports: `origin` of a relay with RELAY_ORIGIN set is the public origin, not its own address.
    const [portA, portB] = [await freePort(), await freePort()];
    const publicOrigin = `http://127.0.0.1:${portA}`;
    instances.push(await startRelay({ demo: false, port: portA, env }));
    instances.push(await startRelay({ demo: false, port: portB, env: { ...env, RELAY_ORIGIN: publicOrigin } }));
    addresses.push(publicOrigin, `http://127.0.0.1:${portB}`);
    const first = instances[0]!;
    const admin = new AdminClient(first.origin, ADMIN_TOKEN);
    device = await userWithConnectedDevice(admin, { upn: UPN, displayName: 'Redis Fault' });
  }, 30_000);

  afterAll(async () => {
    await device?.close();
    for (const instance of instances) await instance.stop();
    await redis?.stop();
    await database?.drop();
  });

  /** Device on instance A, sign-in started on B, browser waiting on B: every hop crosses Redis. */
  async function signInAcrossInstances() {
    const [onA, onB] = addresses as [string, string];
    const browser = new SigninClient(onB);
    const signin = await browser.createSignin({ upn: UPN });
    const outcome = browser.waitForOutcome(signin);
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await outcome).toEqual({ status: 'approved' });
    expect(onA).not.toBe(onB);
  }

  it('says not ready while Redis is down, and delivers pushes and outcomes again once it is back', async () => {
    await signInAcrossInstances();

    await redis.stop();
    for (const address of addresses) {
      await waitFor('/readyz to say not ready', async () => (await getJson(address, '/readyz')).status === 503);
      // The process is up and answers; only readiness drops.
      expect((await getJson(address, '/healthz')).status).toBe(200);
    }

    redis = await startRedis(redisPort);
    for (const address of addresses) {
      await waitFor('/readyz to say ready again', async () => (await getJson(address, '/readyz')).status === 200);
    }
    await signInAcrossInstances();
  }, 30_000);

  it('makes up, once Redis is back, for the pushes and outcomes published while it was away', async () => {
    const [, onB] = addresses as [string, string];
    const browser = new SigninClient(onB);
    const redisDown = async () => {
      await redis.stop();
      for (const address of addresses) {
        await waitFor('/readyz to say not ready', async () => (await getJson(address, '/readyz')).status === 503);
      }
    };

    // Started on B while Redis is down: the push to the device on A was published to no one.
    await redisDown();
    const first = await browser.createSignin({ upn: UPN });
    const firstOutcome = browser.waitForOutcome(first, { timeoutMs: 20_000 });
    const pushed = device.waitForChallenge((challenge) => challenge.requestId === first.requestId, { timeoutMs: 20_000 });
    redis = await startRedis(redisPort);
    await pushed;
    expect((await device.approve(first.requestId, first.number)).outcome).toBe('approved');
    expect(await firstOutcome).toEqual({ status: 'approved' });

    // Approved on A while Redis is down: the browser waiting on B heard nothing then.
    const second = await browser.createSignin({ upn: UPN });
    const secondOutcome = browser.waitForOutcome(second, { timeoutMs: 20_000 });
    await device.waitForChallenge((challenge) => challenge.requestId === second.requestId);
    await redisDown();
    expect((await device.approve(second.requestId, second.number)).outcome).toBe('approved');
    redis = await startRedis(redisPort);
    expect(await secondOutcome).toEqual({ status: 'approved' });
  }, 60_000);
});
