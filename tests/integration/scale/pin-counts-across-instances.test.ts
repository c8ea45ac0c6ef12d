import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindPin } from '../../../protocol/pin-oprf.ts';
import { AdminClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import { pairKeys, TEST_PIN } from '../helpers/paired-keys.ts';
import { rawUnlock } from '../helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { freshPostgresDatabase, SERVICES, servicesAvailable, TEST_PIN_KEY } from './scale-services.ts';

const ADMIN_TOKEN = 'pin-scale-admin-token-0123456789';

/**
 * Section 4a: counts are shared by every instance. Two relays on one PostgreSQL database (and
 * Redis): a device's 4 sockets are counted on both, 8 wrong PINs sent at once through both are
 * 8 attempts, and the failures reach the user's other device on whichever instance it is.
 */
describe.runIf(servicesAvailable)('PIN counts across two instances', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const instances: RunningRelay[] = [];

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: SERVICES.redisUrl!, ADMIN_TOKEN, PIN_KEY: TEST_PIN_KEY };
    const first = await startRelay({ demo: false, env });
    instances.push(first, await startRelay({ demo: false, env: { ...env, RELAY_ORIGIN: first.origin } }));
  });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await database?.drop();
  });

  it('caps a device at 4 sockets on both together, and counts 8 concurrent wrong PINs as 8', async () => {
    const [a, b] = instances as [RunningRelay, RunningRelay];
    const origin = a.origin;
    const admin = new AdminClient(origin, ADMIN_TOKEN);
    await admin.createUser({ upn: 'pins@example.test', displayName: 'Pins' });
    const keys = await pairKeys({ admin, origin }, 'pins@example.test', 'Laptop');
    const other = await pairKeys({ admin, origin }, 'pins@example.test', 'Phone');
    const listener = (await RawDeviceSocket.authenticated(origin, [other], b.address)).raw;

    const sockets: RawDeviceSocket[] = [];
    for (const address of [a.address, b.address, a.address, b.address]) {
      const { raw, ready } = await RawDeviceSocket.authenticated(origin, [keys], address);
      expect(ready.accepted).toEqual([keys.deviceId]);
      sockets.push(raw);
    }
    for (const address of [a.address, b.address]) {
      const fifth = await RawDeviceSocket.authenticated(origin, [keys], address);
      expect(fifth.ready.rejected).toEqual([{ deviceId: keys.deviceId, code: 'rate_limited' }]);
    }

    for (let i = 0; i < 8; i++) sockets[i % 4]!.send({ type: 'unlock', deviceId: keys.deviceId, blinded: blindPin(`10000${i}`).blinded });
    const answers = (await Promise.all(sockets.map(async (raw) => [await raw.next('unlocked', 0), await raw.next('unlocked', 1)]))).flat();
    expect(answers.map((answer) => answer.attemptsLeft).sort()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    for (const raw of sockets) raw.socket.close();
    await Promise.all(sockets.map((raw) => raw.waitForClose()));

    expect(await listener.next('notice', 7, (frame) => frame.kind === 'pin_failure')).toMatchObject({
      deviceId: other.deviceId,
      name: 'Laptop',
    });
    const owner = (await RawDeviceSocket.authenticated(origin, [keys], b.address)).raw;
    expect(await rawUnlock(owner, origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 1 });
  });
});
