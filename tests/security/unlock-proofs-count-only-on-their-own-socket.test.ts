import { describe, expect, it } from 'vitest';
import { pairKeys, TEST_PIN } from '../integration/helpers/paired-keys.ts';
import { proofFrame, rawUnlock, settled } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Section 4a: an `unlock_proof` is a `device-action` signed over the `hello` nonce of the socket
 * it travels on, and clears attempts made on that socket only. A proof signed for another socket,
 * a proof sent on one socket for an attempt made on another, and a replayed proof are refused,
 * and the attempts they named stay open (and become failures).
 */

async function setUp() {
  const relay = await startTestRelay();
  const user = await relay.createUser();
  const keys = await pairKeys(relay, user.upn);
  const owner = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
  const thief = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
  const open = async () =>
    (await relay.running.relay.store.db.selectFrom('pin_attempts').selectAll().where('failed_at', 'is', null).execute()).length;
  return { relay, keys, owner, thief, open };
}

describe('unlock_proof', () => {
  it("signed over another socket's nonce is refused with bad_signature", async () => {
    const { relay, keys, owner, thief, open } = await setUp();
    const attempt = await rawUnlock(thief, relay.origin, keys, TEST_PIN, { prove: false });
    expect(attempt.ok).toBe(true);
    // The thief's proof, signed with the approval key it unwrapped, but over the owner's nonce.
    const from = thief.frames.length;
    thief.send(proofFrame(relay.origin, owner.nonce, keys, attempt.blinded));
    expect(await settled(thief, from)).toMatchObject([{ type: 'error', code: 'bad_signature', deviceId: keys.deviceId }]);
    expect(await open()).toBe(1);
  });

  it("sent on another socket than the attempt's is refused, and clears nothing", async () => {
    const { relay, keys, owner, thief, open } = await setUp();
    const thiefAttempt = await rawUnlock(thief, relay.origin, keys, '999999', { prove: false });
    // The owner's socket proves an element the thief's socket evaluated: not this socket's attempt.
    const from = owner.frames.length;
    owner.send(proofFrame(relay.origin, owner.nonce, keys, thiefAttempt.blinded));
    expect(await settled(owner, from)).toMatchObject([{ type: 'error', code: 'invalid_request', deviceId: keys.deviceId }]);
    // The owner's own proven unlock leaves the thief's attempt open.
    expect(await rawUnlock(owner, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 8 });
    expect(await open()).toBe(1);
    thief.socket.close();
    await thief.waitForClose();
    await expect.poll(open).toBe(0);
    expect(await rawUnlock(owner, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 8 });
  });

  it('replayed is refused: each statement is accepted once', async () => {
    const { relay, keys, owner, open } = await setUp();
    const first = await rawUnlock(owner, relay.origin, keys, TEST_PIN, { prove: false });
    const proof = proofFrame(relay.origin, owner.nonce, keys, first.blinded);
    let from = owner.frames.length;
    owner.send(proof);
    expect(await settled(owner, from)).toEqual([]);
    expect(await open()).toBe(0);
    // A new attempt with the same element (a replaying device), then the old proof again.
    owner.send({ type: 'unlock', deviceId: keys.deviceId, blinded: first.blinded });
    from = owner.frames.length;
    owner.send(proof);
    expect((await settled(owner, from)).filter((frame) => frame.type === 'error')).toMatchObject([
      { code: 'invalid_request', deviceId: keys.deviceId },
    ]);
    expect(await open()).toBe(1);
  });
});
