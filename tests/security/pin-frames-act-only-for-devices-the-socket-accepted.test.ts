import { describe, expect, it } from 'vitest';
import { blindPin } from '../../protocol/pin-oprf.ts';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { proofFrame, rekeyFrame, sendAndAnswer } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Section 4: `unlock`, `unlock_proof` and `rekey` act only on an authenticated socket and only for
 * devices that socket accepted. Otherwise the relay answers `error` naming the device and
 * nothing is evaluated or counted: an attempt made through someone else's socket would let a
 * thief spend the owner's attempts, or get evaluations no proof is asked for.
 */

async function setUp() {
  const relay = await startTestRelay();
  const alice = await relay.createUser();
  const bob = await relay.createUser();
  const aliceKeys = await pairKeys(relay, alice.upn);
  const bobKeys = await pairKeys(relay, bob.upn);
  const attempts = () => relay.running.relay.store.db.selectFrom('pin_attempts').selectAll().execute();
  const pinKeys = () =>
    relay.running.relay.store.db.selectFrom('device_pin_keys').select(['device_id', 'sealed_key']).orderBy('device_id').execute();
  return { relay, aliceKeys, bobKeys, attempts, pinKeys };
}

describe('PIN frames', () => {
  it('before auth: refused with error, the socket closed with 4401, nothing evaluated', async () => {
    const { relay, aliceKeys, attempts } = await setUp();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    raw.send({ type: 'unlock', deviceId: aliceKeys.deviceId, blinded: blindPin('246810').blinded });
    expect((await raw.waitForClose()).code).toBe(4401);
    expect(raw.all('unlocked')).toEqual([]);
    expect(raw.all('error')).toMatchObject([{ deviceId: aliceKeys.deviceId }]);
    expect(await attempts()).toEqual([]);
  });

  it("for a device the socket did not accept (another user's, or one refused at auth): error naming it, nothing changes", async () => {
    const { relay, aliceKeys, bobKeys, attempts, pinKeys } = await setUp();
    const keysBefore = await pinKeys();
    // Bob's socket; Alice's credential offered with a bad signature, so it is refused.
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [
      bobKeys,
      { deviceId: aliceKeys.deviceId, connectKey: bobKeys.connectKey },
    ]);
    expect(ready.accepted).toEqual([bobKeys.deviceId]);
    const blinded = blindPin('246810').blinded;
    const frames = [
      { type: 'unlock', deviceId: aliceKeys.deviceId, blinded },
      proofFrame(relay.origin, raw.nonce, aliceKeys, blinded),
      rekeyFrame(relay.origin, raw.nonce, aliceKeys, blinded),
    ];
    for (const frame of frames) {
      expect(await sendAndAnswer(raw, aliceKeys.deviceId, frame)).toMatchObject({
        type: 'error',
        code: 'unknown_device',
        deviceId: aliceKeys.deviceId,
      });
    }
    expect(raw.all('unlocked')).toEqual([]);
    expect(raw.all('rekeyed')).toEqual([]);
    expect(await attempts()).toEqual([]);
    expect(await pinKeys()).toEqual(keysBefore);
    // The socket still works for its own device.
    expect(await sendAndAnswer(raw, bobKeys.deviceId, { type: 'unlock', deviceId: bobKeys.deviceId, blinded })).toMatchObject({
      type: 'unlocked',
    });
  });
});
