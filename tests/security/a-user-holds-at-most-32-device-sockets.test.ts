import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/limits.ts';
import { MAX_SOCKETS_PER_USER } from '../../relay-server/hub/device-hub.ts';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Issue 18, item 8: 4 authenticated sockets per device bound a user only as far as they have
 * devices. Their devices together hold at most MAX_SOCKETS_PER_USER (32) sockets, counted in the
 * database like the per-device cap (so across instances); past it the device is in
 * `ready.rejected` with `rate_limited`, other users' devices on the same `auth` are still accepted,
 * and a closed socket gives its place back.
 */
describe('sockets per user', () => {
  it('rejects a device of a user whose devices hold 32 sockets, accepts another user on it, and frees a place on close', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const other = await relay.createUser();
    expect(MAX_SOCKETS_PER_USER).toBe(32);
    const perDevice = LIMITS.maxSocketsPerDevice;
    const devices = [];
    for (let i = 0; i <= MAX_SOCKETS_PER_USER / perDevice; i++) devices.push(await pairKeys(relay, user.upn, `Device ${i}`));
    const spare = devices.pop()!;
    const othersDevice = await pairKeys(relay, other.upn);

    const held = [];
    for (const keys of devices) {
      for (let i = 0; i < perDevice; i++) {
        const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
        expect(ready.accepted).toEqual([keys.deviceId]);
        held.push(raw);
      }
    }
    expect(held).toHaveLength(MAX_SOCKETS_PER_USER);

    // The spare device has no socket of its own, but its user is full.
    const mixed = await RawDeviceSocket.authenticated(relay.origin, [spare, othersDevice]);
    expect(mixed.ready).toMatchObject({
      accepted: [othersDevice.deviceId],
      rejected: [{ deviceId: spare.deviceId, code: 'rate_limited' }],
    });
    const alone = await RawDeviceSocket.authenticated(relay.origin, [spare]);
    expect(alone.ready.rejected).toEqual([{ deviceId: spare.deviceId, code: 'rate_limited' }]);
    expect((await alone.raw.waitForClose()).code).toBe(4401);

    held[0]!.socket.close();
    await held[0]!.waitForClose();
    await expect.poll(async () => (await RawDeviceSocket.authenticated(relay.origin, [spare])).ready.accepted).toEqual([spare.deviceId]);
  }, 60_000);
});
