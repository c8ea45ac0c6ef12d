import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient, type CreatedSignin } from '../../../testing/admin-client.ts';
import { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, SERVICES, servicesAvailable, TEST_PIN_KEY } from '../scale/scale-services.ts';
import { getJson, startRelayProcess, waitFor, type ChildServer } from './fault-processes.ts';
import { freePort, TcpBalancer } from './tcp-balancer.ts';

const ADMIN_TOKEN = 'fault-kill-admin-token-0123456789';
const DEVICES = 4;

describe.runIf(servicesAvailable)('kill -9 of one of two relay instances under load', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let balancer: TcpBalancer;
  let ports: number[];
  const relays: ChildServer[] = [];
  const devices: VirtualDevice[] = [];
  const upns = Array.from({ length: DEVICES }, (_, i) => `fault-${i}@example.test`);

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    ports = [await freePort(), await freePort()];
    balancer = await TcpBalancer.start(ports);
    // Every instance answers for the balancer's origin, as behind a real load balancer.
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: SERVICES.redisUrl!,
      ADMIN_TOKEN,
      RELAY_ORIGIN: balancer.origin,
      PIN_KEY: TEST_PIN_KEY,
    };
    for (const [index, port] of ports.entries())
      relays.push(await startRelayProcess({ ...env, PORT: String(port), DATA_DIR: `/tmp/countersign-fault-kill-${index}` }));
    const admin = new AdminClient(balancer.origin, ADMIN_TOKEN);
    await admin.putPolicy({ ...(await admin.getPolicy()), maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: 10_000 });
    for (const upn of upns) {
      await admin.createUser({ upn, displayName: upn });
      const device = await VirtualDevice.open({ autoReconnect: true, timeoutMs: 15_000 });
      await device.pair((await admin.createPairing(upn)).link);
      devices.push(device);
    }
    for (const device of devices) await device.connect();
  }, 30_000);

  afterAll(async () => {
    for (const device of devices) await device.close();
    for (const relay of relays) await relay.stop();
    await balancer?.close();
    await database?.drop();
  });

  it('loses no approved sign-in, applies none twice, and moves the devices to the survivor', async () => {
    const [victimPort, survivorPort] = ports as [number, number];
    expect(balancer.connectionsTo(victimPort)).toBeGreaterThan(0);
    const browser = new SigninClient(balancer.origin);
    const created: { signin: CreatedSignin; device: VirtualDevice }[] = [];
    const deviceApprovals = new Map<string, number>();
    for (const device of devices) {
      device.on('result', (result) => {
        if (result.outcome === 'approved') deviceApprovals.set(result.requestId, (deviceApprovals.get(result.requestId) ?? 0) + 1);
      });
    }

    /** One full sign-in per device: create, challenge, approve, browser sees it. */
    const round = () =>
      Promise.all(
        devices.map(async (device, i) => {
          const signin = await browser.createSignin({ upn: upns[i]! });
          created.push({ signin, device });
          await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
          await device.approve(signin.requestId, signin.number);
          return browser.waitForOutcome(signin);
        }),
      );
    expect((await round()).map((outcome) => outcome.status)).toEqual(devices.map(() => 'approved'));

    // In flight at the kill: every device holds a challenge; half of them approve as it happens.
    const inFlight = await Promise.all(
      devices.map(async (device, i) => {
        const signin = await browser.createSignin({ upn: upns[i]! });
        created.push({ signin, device });
        await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
        return { signin, device };
      }),
    );
    const racing = inFlight
      .filter((_, i) => i % 2 === 0)
      .map(({ signin, device }) => device.approve(signin.requestId, signin.number).catch(() => null));
    await relays[0]!.kill9();
    await Promise.all(racing);

    // The devices that were on the dead instance come back through the balancer to the survivor.
    await waitFor(
      'every device on the survivor',
      async () => balancer.connectionsTo(survivorPort) >= DEVICES && balancer.connectionsTo(victimPort) === 0,
    );
    await Promise.all(devices.map((device) => device.connected(balancer.origin)));
    await waitFor('the survivor to count every device', async () => {
      const metrics = await fetch(`http://127.0.0.1:${survivorPort}/metrics`).then((response) => response.text());
      return /^countersign_connected_devices 4$/m.test(metrics);
    });

    // Whatever was not applied before the kill is still pending and was sent again after `ready`.
    for (const { signin, device } of inFlight) {
      const { status } = await browser.getStatus(signin);
      if (status === 'pending') {
        await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
        expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
      } else {
        expect(status).toBe('approved');
      }
    }

    // Later sign-ins work for every device.
    expect((await round()).map((outcome) => outcome.status)).toEqual(devices.map(() => 'approved'));

    // Every sign-in ever made is approved exactly once, by its own device; no device heard "approved" twice.
    const log = await new AdminClient(balancer.origin, ADMIN_TOKEN).listSignins({ limit: 1000 });
    expect(log).toHaveLength(created.length);
    const accounts = new Map(devices.map((device) => [device, device.accounts()[0]!.deviceId]));
    for (const { signin, device } of created) {
      const entry = log.find((row) => row.requestId === signin.requestId);
      expect(entry).toMatchObject({ status: 'approved', deviceId: accounts.get(device) });
      expect(await browser.getStatus(signin)).toEqual({ status: 'approved' });
    }
    for (const [, count] of deviceApprovals) expect(count).toBe(1);
    expect((await getJson(`http://127.0.0.1:${survivorPort}`, '/readyz')).status).toBe(200);
  }, 45_000);
});
