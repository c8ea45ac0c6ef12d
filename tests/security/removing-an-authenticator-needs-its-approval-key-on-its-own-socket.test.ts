import { describe, expect, it } from 'vitest';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { removeFrame, sendAndAnswer, settled } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Section 4, `remove`: a device unregisters an account it forgets. It is a `device-action` signed
 * by the approval key (the PIN or WebAuthn) over the nonce of the socket that accepted the device,
 * accepted once. A thief with the connect key alone, a replay, another user's socket, or a socket
 * that never accepted the device removes nothing: the relay answers `error` naming the device.
 */

async function setUp() {
  const relay = await startTestRelay();
  const alice = await relay.createUser();
  const bob = await relay.createUser();
  const laptop = await pairKeys(relay, alice.upn, 'Laptop');
  const phone = await pairKeys(relay, alice.upn, 'Phone');
  const bobKeys = await pairKeys(relay, bob.upn, 'Bob');
  const devices = async () =>
    (await relay.running.relay.store.db.selectFrom('devices').select('id').orderBy('id').execute()).map((row) => row.id);
  return { relay, laptop, phone, bobKeys, devices };
}

describe('remove', () => {
  it('signed by the approval key on the socket that accepted the device: revoked, gone, the other devices told', async () => {
    const { relay, laptop, phone, devices } = await setUp();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [laptop]);
    const { raw: phoneSocket } = await RawDeviceSocket.authenticated(relay.origin, [phone]);
    expect(await sendAndAnswer(raw, laptop.deviceId, removeFrame(relay.origin, raw.nonce, laptop))).toEqual({
      type: 'revoked',
      deviceId: laptop.deviceId,
    });
    expect(await devices()).not.toContain(laptop.deviceId);
    expect((await raw.waitForClose()).code).toBe(4403);
    expect(await phoneSocket.next('notice')).toMatchObject({ deviceId: phone.deviceId, kind: 'authenticator_removed', name: 'Laptop' });
    // The credential no longer connects.
    const { ready } = await RawDeviceSocket.authenticated(relay.origin, [laptop]);
    expect(ready.rejected).toEqual([{ deviceId: laptop.deviceId, code: 'unknown_device' }]);
  });

  it('signed by the connect key only: bad_signature, nothing removed', async () => {
    const { relay, laptop, devices } = await setUp();
    const before = await devices();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [laptop]);
    expect(await sendAndAnswer(raw, laptop.deviceId, removeFrame(relay.origin, raw.nonce, laptop, laptop.connectKey))).toMatchObject({
      type: 'error',
      code: 'bad_signature',
      deviceId: laptop.deviceId,
    });
    expect(await devices()).toEqual(before);
    expect(raw.all('revoked')).toEqual([]);
  });

  it('replayed on another socket (another nonce): bad_signature; once removed, a remove from anywhere: unknown_device', async () => {
    const { relay, laptop, phone, devices } = await setUp();
    const { raw: first } = await RawDeviceSocket.authenticated(relay.origin, [laptop]);
    const { raw: second } = await RawDeviceSocket.authenticated(relay.origin, [laptop]);
    const { raw: phoneSocket } = await RawDeviceSocket.authenticated(relay.origin, [phone]);
    const frame = removeFrame(relay.origin, first.nonce, laptop);
    expect(await sendAndAnswer(second, laptop.deviceId, frame)).toMatchObject({ type: 'error', code: 'bad_signature' });
    expect(await devices()).toContain(laptop.deviceId);
    // The socket the statement was made for takes it once; the copy on the other socket changed nothing.
    expect(await sendAndAnswer(first, laptop.deviceId, frame)).toMatchObject({ type: 'revoked' });
    expect(await second.next('revoked')).toMatchObject({ deviceId: laptop.deviceId });
    const { raw: third } = await RawDeviceSocket.authenticated(relay.origin, [phone]);
    expect(await sendAndAnswer(third, laptop.deviceId, removeFrame(relay.origin, third.nonce, laptop))).toMatchObject({
      type: 'error',
      code: 'unknown_device',
    });
    await settled(phoneSocket);
    expect(phoneSocket.all('notice')).toHaveLength(1);
  });

  it("for another user's device, from a socket that accepted only its own: unknown_device, nothing removed", async () => {
    const { relay, laptop, bobKeys, devices } = await setUp();
    const before = await devices();
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [bobKeys]);
    expect(ready.accepted).toEqual([bobKeys.deviceId]);
    // Even with Alice's approval key signing over this socket's nonce.
    expect(await sendAndAnswer(raw, laptop.deviceId, removeFrame(relay.origin, raw.nonce, laptop))).toMatchObject({
      type: 'error',
      code: 'unknown_device',
      deviceId: laptop.deviceId,
    });
    expect(await devices()).toEqual(before);
  });

  it('for a device the socket offered but did not accept, or of the same user but not on this socket: unknown_device', async () => {
    const { relay, laptop, phone, devices } = await setUp();
    const before = await devices();
    // The phone's credential offered with the laptop's connect key: refused at auth.
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [
      laptop,
      { deviceId: phone.deviceId, connectKey: laptop.connectKey },
    ]);
    expect(ready.accepted).toEqual([laptop.deviceId]);
    expect(await sendAndAnswer(raw, phone.deviceId, removeFrame(relay.origin, raw.nonce, phone))).toMatchObject({
      type: 'error',
      code: 'unknown_device',
    });
    expect(await devices()).toEqual(before);
  });

  it('before auth: error, the socket closed with 4401, nothing removed', async () => {
    const { relay, laptop, devices } = await setUp();
    const before = await devices();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    raw.send(removeFrame(relay.origin, raw.nonce, laptop));
    expect((await raw.waitForClose()).code).toBe(4401);
    expect(raw.all('revoked')).toEqual([]);
    expect(await devices()).toEqual(before);
  });
});
