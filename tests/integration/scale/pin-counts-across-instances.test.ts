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
 * Redis): a device's 4 sockets are counted on both, 12 wrong PINs sent at once through both are
 * 10 attempts and 2 refusals, and the failures reach the user's other device on whichever instance it is.
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

  it('caps a device at 4 sockets on both together, and counts 12 concurrent wrong PINs as 10 and 2 refused', async () => {
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

    // Twelve wrong PINs at once, three on each socket: exactly ten are evaluated, whatever the
    // interleaving of the two instances, and each is told its own place.
    for (let i = 0; i < 12; i++) sockets[i % 4]!.send({ type: 'unlock', deviceId: keys.deviceId, blinded: blindPin(`10000${i}`).blinded });
    const answered = (raw: RawDeviceSocket) => raw.all('unlocked').length + raw.all('error').length;
    for (const raw of sockets) await expect.poll(() => answered(raw)).toBe(3);
    const unlocked = sockets.flatMap((raw) => raw.all('unlocked'));
    expect(unlocked.map((answer) => answer.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sockets.flatMap((raw) => raw.all('error')).map((error) => error.code)).toEqual(['pin_attempts', 'pin_attempts']);
    for (const raw of sockets) raw.socket.close();
    await Promise.all(sockets.map((raw) => raw.waitForClose()));

    // Closed unproven, the ten are failures: the user's other device hears of each, then of the lock.
    expect(await listener.next('notice', 9, (frame) => frame.kind === 'pin_failure')).toMatchObject({
      deviceId: other.deviceId,
      name: 'Laptop',
    });
    expect(await listener.next('notice', 0, (frame) => frame.kind === 'pin_locked')).toMatchObject({ name: 'Laptop' });
    const owner = (await RawDeviceSocket.authenticated(origin, [keys], b.address)).raw;
    expect(await rawUnlock(owner, origin, keys, TEST_PIN)).toMatchObject({ ok: false, code: 'pin_locked' });
  });
});
