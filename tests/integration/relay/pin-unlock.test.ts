import { describe, expect, it } from 'vitest';
import { blindPin, evaluateBlindedPin } from '../../../protocol/pin-oprf.ts';
import { generateDeviceKeyPair } from '../../../protocol/index.ts';
import { pairKeys, TEST_PIN, type PairedKeys } from '../helpers/paired-keys.ts';
import { proofFrame, rawUnlock, rekeyFrame, sendAndAnswer, settled } from '../helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { startTestRelay } from '../helpers/test-relay.ts';

async function relayWithKeys() {
  const relay = await startTestRelay();
  const user = await relay.createUser();
  const keys = await pairKeys(relay, user.upn);
  return { relay, user, keys };
}

const attempts = (relay: Awaited<ReturnType<typeof startTestRelay>>, deviceId: string) =>
  relay.running.relay.store.db.selectFrom('pin_attempts').selectAll().where('device_id', '=', deviceId).execute();

describe('unlock (section 4a)', () => {
  it('evaluates the PIN with the key made at redeem, and a proof clears the attempt', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const first = await rawUnlock(raw, relay.origin, keys, TEST_PIN);
    expect(first).toMatchObject({ ok: true, attemptsLeft: 9 });
    expect(await attempts(relay, keys.deviceId)).toEqual([]);
    // Proven: the next unlock again has 9 left after it.
    expect(await rawUnlock(raw, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 9 });
  });

  it('counts an unproven attempt until its socket closes, then as a failure', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    expect(await rawUnlock(raw, relay.origin, keys, '000000')).toMatchObject({ ok: false, code: 'wrong_pin', attemptsLeft: 9 });
    expect(await rawUnlock(raw, relay.origin, keys, '111111')).toMatchObject({ ok: false, code: 'wrong_pin', attemptsLeft: 8 });
    expect((await attempts(relay, keys.deviceId)).map((row) => row.failed_at)).toEqual([null, null]);
    raw.socket.close();
    await raw.waitForClose();
    const again = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    // The close's write may still be on its way: the relay's own answer is the proof.
    await expect.poll(async () => (await attempts(relay, keys.deviceId)).filter((row) => row.failed_at !== null).length).toBe(2);
    expect(await rawUnlock(again.raw, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 7 });
  });

  it('turns an attempt nobody proved within 60 s into a failure, which no later proof clears', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const late = await rawUnlock(raw, relay.origin, keys, TEST_PIN, { prove: false });
    expect(late).toMatchObject({ ok: true, attemptsLeft: 9 });
    relay.clock.advance(60_000);
    const from = raw.frames.length;
    raw.send(proofFrame(relay.origin, raw.nonce, keys, late.blinded));
    expect((await settled(raw, from)).find((f) => f.type === 'error')).toMatchObject({ code: 'invalid_request', deviceId: keys.deviceId });
    // The next unlock finds it a failure, dated when its 60 s ran out, and the proof of the new
    // attempt (on the same socket) does not clear it.
    expect(await rawUnlock(raw, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 8 });
    expect((await attempts(relay, keys.deviceId)).map((row) => row.failed_at)).toEqual([relay.clock.now()]);
  });

  it('makes the OPRF key of a revision-2 device at its first unlock', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const approval = generateDeviceKeyPair();
    const connect = generateDeviceKeyPair();
    const offer = await relay.admin.createPairing(user.upn);
    const redeemed = await relay.running.relay.store.pairings.redeem(
      offer.token,
      { name: 'Revision 2', publicKey: approval.publicKey, connectPublicKey: connect.publicKey },
      relay.clock.now(),
    );
    if (!redeemed.ok) throw new Error('redeem failed');
    const deviceId = redeemed.device.id;
    const db = relay.running.relay.store.db;
    expect(await db.selectFrom('device_pin_keys').selectAll().where('device_id', '=', deviceId).execute()).toEqual([]);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [{ deviceId, connectKey: connect.secretKey }]);
    const pending = blindPin(TEST_PIN);
    const answer = await sendAndAnswer(raw, deviceId, { type: 'unlock', deviceId, blinded: pending.blinded });
    expect(answer).toMatchObject({ type: 'unlocked', deviceId, attemptsLeft: 9 });
    expect(await db.selectFrom('device_pin_keys').select('device_id').where('device_id', '=', deviceId).execute()).toHaveLength(1);
    // The same key answers the next time.
    const again = await sendAndAnswer(raw, deviceId, { type: 'unlock', deviceId, blinded: pending.blinded });
    expect(again.evaluated).toBe(answer.evaluated);
  });

  it('refuses an invalid element with invalid_request, counting nothing', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    // x = 1 is not the x of any P-256 point.
    const notOnCurve = Buffer.concat([Buffer.from([2]), Buffer.alloc(31, 0), Buffer.from([1])]).toString('base64url');
    const badPrefix = Buffer.concat([Buffer.from([0]), Buffer.alloc(32, 7)]).toString('base64url');
    const uncompressedPrefix = Buffer.concat([Buffer.from([4]), Buffer.alloc(32, 7)]).toString('base64url');
    for (const blinded of [notOnCurve, badPrefix, uncompressedPrefix]) {
      expect(await sendAndAnswer(raw, keys.deviceId, { type: 'unlock', deviceId: keys.deviceId, blinded })).toMatchObject({
        type: 'error',
        code: 'invalid_request',
        deviceId: keys.deviceId,
      });
    }
    // Wrong length is a malformed frame (the schema), answered without closing.
    const from = raw.frames.length;
    raw.send({ type: 'unlock', deviceId: keys.deviceId, blinded: 'AAAA' });
    expect(await raw.nextFrom(from, 'malformed', (f) => f.type === 'error')).toMatchObject({ code: 'malformed_frame' });
    expect(await attempts(relay, keys.deviceId)).toEqual([]);
    expect(await rawUnlock(raw, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 9 });
  });

  it('refuses a redeem whose pinBlinded is not a valid element, leaving the token unused', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const offer = await relay.admin.createPairing(user.upn);
    const approval = generateDeviceKeyPair();
    const connect = generateDeviceKeyPair();
    const { pairStatement, signStatement } = await import('../../../protocol/index.ts');
    const body = {
      token: offer.token,
      publicKey: approval.publicKey,
      connectPublicKey: connect.publicKey,
      deviceName: 'Bad element',
      pinBlinded: Buffer.concat([Buffer.from([3]), Buffer.alloc(31, 0), Buffer.from([1])]).toString('base64url'),
      signature: signStatement(
        pairStatement({
          relayOrigin: relay.origin,
          pairingToken: offer.token,
          publicKey: approval.publicKey,
          connectPublicKey: connect.publicKey,
          deviceName: 'Bad element',
        }),
        approval.secretKey,
      ),
    };
    const answer = await relay.http('POST', '/api/v1/pairings/redeem', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect((await relay.running.relay.store.pairings.find(offer.token))?.used_at).toBeNull();
  });
});

describe('rekey (section 4a)', () => {
  it('makes a new OPRF key, answers its evaluation, and forgets the old key', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const oldPin = blindPin(TEST_PIN);
    const before = await sendAndAnswer(raw, keys.deviceId, { type: 'unlock', deviceId: keys.deviceId, blinded: oldPin.blinded });
    const newPin = blindPin('135790');
    const rekeyed = await sendAndAnswer(raw, keys.deviceId, rekeyFrame(relay.origin, raw.nonce, keys, newPin.blinded));
    expect(rekeyed).toMatchObject({ type: 'rekeyed', deviceId: keys.deviceId });
    const after = await sendAndAnswer(raw, keys.deviceId, { type: 'unlock', deviceId: keys.deviceId, blinded: oldPin.blinded });
    expect(after.type).toBe('unlocked');
    expect(after.evaluated).not.toBe(before.evaluated);
    // A proof of the last unlock clears every attempt on the socket, the rekey's included.
    const from = raw.frames.length;
    raw.send(proofFrame(relay.origin, raw.nonce, keys, oldPin.blinded));
    expect(await settled(raw, from)).toEqual([]);
    expect(await attempts(relay, keys.deviceId)).toEqual([]);
    // The same rekey statement again is refused: each is accepted once.
    expect(await sendAndAnswer(raw, keys.deviceId, rekeyFrame(relay.origin, raw.nonce, keys, newPin.blinded))).toMatchObject({
      type: 'error',
      code: 'invalid_request',
    });
  });

  it('refuses a rekey signed with the connect key', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const forged = rekeyFrame(
      relay.origin,
      raw.nonce,
      { deviceId: keys.deviceId, approvalKey: keys.connectKey } satisfies Pick<PairedKeys, 'deviceId' | 'approvalKey'>,
      blindPin('1').blinded,
    );
    expect(await sendAndAnswer(raw, keys.deviceId, forged)).toMatchObject({ type: 'error', code: 'bad_signature' });
    expect(await attempts(relay, keys.deviceId)).toEqual([]);
  });
});

describe('the evaluation', () => {
  it('is the RFC 9497 evaluation under the key sealed for the device', async () => {
    const { relay, keys } = await relayWithKeys();
    const row = await relay.running.relay.store.db
      .selectFrom('device_pin_keys')
      .selectAll()
      .where('device_id', '=', keys.deviceId)
      .executeTakeFirstOrThrow();
    const { PinSealingKey, readOrCreatePinKeyFile } = await import('../../../relay-server/pin/pin-sealing-key.ts');
    const secretKey = new PinSealingKey(readOrCreatePinKeyFile(relay.running.dataDir)).open(row.sealed_key, keys.deviceId);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const pending = blindPin(TEST_PIN);
    const answer = await sendAndAnswer(raw, keys.deviceId, { type: 'unlock', deviceId: keys.deviceId, blinded: pending.blinded });
    expect(answer.evaluated).toBe(evaluateBlindedPin(secretKey, pending.blinded));
  });
});
