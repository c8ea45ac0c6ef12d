import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/limits.ts';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Section 4: a device holds at most 4 authenticated sockets at once. Without the cap a thief
 * with the connect key could open sockets without end, each holding unproven PIN attempts and
 * every challenge of the user. A 5th `auth` naming the device gets it in `rejected` with
 * `rate_limited`; other devices on that `auth` are still accepted, and a closed socket frees its place.
 */
describe('sockets per device', () => {
  it('rejects the device on a 5th authenticated socket, accepts the others on it, and frees a place on close', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const second = await pairKeys(relay, user.upn, 'Second');
    expect(LIMITS.maxSocketsPerDevice).toBe(4);
    const held = [];
    for (let i = 0; i < 4; i++) {
      const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
      expect(ready.accepted).toEqual([keys.deviceId]);
      held.push(raw);
    }
    const fifth = await RawDeviceSocket.authenticated(relay.origin, [keys, second]);
    expect(fifth.ready).toMatchObject({ accepted: [second.deviceId], rejected: [{ deviceId: keys.deviceId, code: 'rate_limited' }] });
    // Only that device: a 5th alone is closed with 4401 (nothing accepted).
    const alone = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    expect(alone.ready.rejected).toEqual([{ deviceId: keys.deviceId, code: 'rate_limited' }]);
    expect((await alone.raw.waitForClose()).code).toBe(4401);
    // The 5th socket cannot act for the device it was refused.
    const from = fifth.raw.frames.length;
    fifth.raw.send({ type: 'unlock', deviceId: keys.deviceId, blinded: 'A'.repeat(44) });
    expect(await fifth.raw.nextFrom(from, 'error', (f) => f.type === 'error')).toMatchObject({
      code: 'unknown_device',
      deviceId: keys.deviceId,
    });

    held[0]!.socket.close();
    await held[0]!.waitForClose();
    await expect.poll(async () => (await RawDeviceSocket.authenticated(relay.origin, [keys])).ready.accepted).toEqual([keys.deviceId]);
  });
});
