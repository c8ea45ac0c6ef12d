import { createPublicKey, verify } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DEVICE_CONNECT_PATH,
  buildPairingLink,
  connectStatement,
  decisionStatement,
  deviceActionStatement,
  generateDeviceKeyPair,
  verifyStatementWithNoble,
  fromBase64Url,
  pairStatement,
  randomId,
  toBase64Url,
  type Decision,
  type Unlock,
} from '../../../protocol/index.ts';
import { DeviceStore } from '../../../testing/device-store.ts';
import { VirtualDevice, type VirtualDeviceOptions } from '../../../testing/virtual-device.ts';
import { evaluateBlindedPin, newOprfSecretKey } from '../../../protocol/pin-oprf.ts';
import { aChallenge, fakeOprfKeys, playUnlock, unlockedFor } from '../protocol/device-core-suite.ts';
import { FakeRelay, fakeRedeem, type FakeConnection } from './fake-relay.ts';

// ---- node:crypto as the relay will verify ----

function verifiesWithNodeCrypto(statement: Uint8Array, signature: string, publicKey: string): boolean {
  const point = fromBase64Url(publicKey);
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: toBase64Url(point.subarray(1, 33)), y: toBase64Url(point.subarray(33, 65)) },
    format: 'jwk',
  });
  return verify('sha256', statement, { key, dsaEncoding: 'ieee-p1363' }, fromBase64Url(signature));
}

const link = (relayOrigin: string, upn = 'alice@demo.test') => buildPairingLink({ relayOrigin, token: randomId(), upn });

async function openDevice(options: VirtualDeviceOptions = {}): Promise<VirtualDevice> {
  const device = await VirtualDevice.open({ timeoutMs: 5_000, ...options });
  onTestFinished(() => device.close());
  return device;
}

/** A device paired with the relay (the redeem only: `confirm: false`), connected and past `ready`. */
async function connectedDevice(relay: FakeRelay, options: VirtualDeviceOptions = {}) {
  const pairing = fakeRedeem();
  const device = await openDevice({ fetch: pairing.fetch, ...options });
  const account = await device.pair(link(relay.origin), { confirm: false });
  const { connection, nonce } = await accepted(device, relay);
  return { device, account, connection, nonce };
}

/** Connects the device and plays hello → auth → ready accepting every credential. */
async function accepted(device: VirtualDevice, relay: FakeRelay, origin = relay.origin) {
  const connecting = device.connect(origin);
  const served = await serve(relay);
  await connecting;
  return served;
}

/** Plays hello → auth → ready on the relay's next socket. */
async function serve(relay: FakeRelay) {
  const connection = await relay.nextConnection();
  const nonce = connection.hello();
  const auth = (await connection.next()) as { credentials: Array<{ deviceId: string }> };
  connection.send({ type: 'ready', accepted: auth.credentials.map((credential) => credential.deviceId), rejected: [] });
  return { connection, nonce };
}

/** Sends a challenge for the account and waits until the device holds it. */
async function challenged(device: VirtualDevice, connection: FakeConnection, deviceId: string) {
  const challenge = aChallenge(deviceId);
  connection.send(challenge);
  await device.waitForChallenge((received) => received.requestId === challenge.requestId);
  return challenge;
}

/** The statement a decision frame claims to sign. */
function statementOf(relayOrigin: string, frame: Record<string, unknown>): Uint8Array {
  return decisionStatement({
    relayOrigin,
    requestId: frame.requestId as string,
    deviceId: frame.deviceId as string,
    decision: frame.decision as Decision,
    number: frame.number as string,
    signedAt: frame.signedAt as number,
    unlock: frame.unlock as Unlock,
  });
}

describe('VirtualDevice.pair()', () => {
  it('redeems the link with two fresh keys and a pair signature by the approval key that node:crypto verifies', async () => {
    const relayOrigin = 'http://127.0.0.1:8787';
    const token = randomId();
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch, deviceName: 'QA phone' });

    const account = await device.pair(buildPairingLink({ relayOrigin, token, upn: 'alice@demo.test' }), { confirm: false });

    const [request] = pairing.requests;
    expect(request?.url).toBe(`${relayOrigin}/api/v1/pairings/redeem`);
    expect(request?.body).toMatchObject({
      token,
      publicKey: account.publicKey,
      connectPublicKey: account.connectPublicKey,
      deviceName: 'QA phone',
    });
    expect(account.publicKey).not.toBe(account.connectPublicKey);
    const statement = pairStatement({
      relayOrigin,
      pairingToken: token,
      publicKey: account.publicKey,
      connectPublicKey: account.connectPublicKey,
      deviceName: 'QA phone',
    });
    expect(verifiesWithNodeCrypto(statement, request!.body.signature!, account.publicKey)).toBe(true);
    expect(verifiesWithNodeCrypto(statement, request!.body.signature!, account.connectPublicKey)).toBe(false);
    expect(device.accounts()).toEqual([account]);
    expect(Object.keys(account).sort()).toEqual(['connectPublicKey', 'deviceId', 'displayName', 'publicKey', 'relayOrigin', 'upn']);
  });

  it("throws the relay's error code when the relay refuses the token", async () => {
    const pairing = fakeRedeem(() => ({ status: 409, body: { error: { code: 'pairing_used', message: 'already used' } } }));
    const device = await openDevice({ fetch: pairing.fetch });

    const pairingAgain = device.pair(link('http://127.0.0.1:8787', 'a@demo.test'));

    await expect(pairingAgain).rejects.toMatchObject({ code: 'pairing_used', status: 409 });
    expect(device.accounts()).toEqual([]);
  });

  it('refuses a link that is not a pairing link without calling the relay', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });

    await expect(device.pair('http://127.0.0.1:8787/pair#v=2&token=x')).rejects.toMatchObject({ code: 'invalid_link' });
    expect(pairing.requests).toEqual([]);
  });

  it('refuses a link to an http relay off loopback with insecure_relay, without calling it', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });

    await expect(device.pair(link('http://relay.example.com'))).rejects.toMatchObject({
      name: 'VirtualDeviceError',
      code: 'insecure_relay',
    });
    await expect(device.pair(link('http://127.0.0.1.evil.com'))).rejects.toMatchObject({ code: 'insecure_relay' });
    expect(pairing.requests).toEqual([]);
    expect(device.accounts()).toEqual([]);
  });

  it('keeps the approval key only wrapped in the key file, no PIN, and no secret in what it shows', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-device-'));
    onTestFinished(() => rm(directory, { recursive: true, force: true }));
    const keysPath = join(directory, 'keys.json');
    const device = await openDevice({ fetch: fakeRedeem().fetch, keysPath, pin: '918273' });

    const account = await device.pair(link('http://127.0.0.1:8787'), { confirm: false });

    const [stored] = (await DeviceStore.open(keysPath)).list();
    expect(stored).toMatchObject({
      ...account,
      connectKey: expect.any(String),
      pinWrapped: { iv: expect.any(String), ciphertext: expect.any(String) },
    });
    expect(stored).not.toHaveProperty('approvalKey');
    expect(stored).not.toHaveProperty('legacyApprovalKey');
    const text = await readFile(keysPath, 'utf8');
    expect(text).not.toContain('918273');
    expect(text).not.toMatch(/pin(Hash|Check|Salt)/i);
  });

  it('posts the PIN blinded, never the PIN, and each pairing with a fresh blind', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch, pin: '555123' });
    await device.pair(link('http://127.0.0.1:8787'), { confirm: false });
    await device.pair(link('http://127.0.0.1:8787'), { confirm: false, pin: '555123' });

    const [first, second] = pairing.requests.map((request) => request.body);
    expect(first!.pinBlinded).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(first!.pinBlinded).not.toBe(second!.pinBlinded);
    expect(JSON.stringify(pairing.requests)).not.toContain('555123');
  });

  it('refuses a PIN the extension would refuse (not 6 to 32 digits) without calling the relay', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });
    for (const pin of ['12a456', '12345', '1'.repeat(33)]) {
      await expect(device.pair(link('http://127.0.0.1:8787'), { pin })).rejects.toMatchObject({ code: 'invalid_pin' });
    }
    expect(pairing.requests).toEqual([]);
  });

  it('confirms the new wrap on the socket (unlock, unwrap, unlock_proof) before pairing is done, then closes it again', async () => {
    const relay = await FakeRelay.start();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    let done = false;

    const pairing = device.pair(link(relay.origin)).finally(() => (done = true));
    const { connection, nonce } = await serve(relay);
    // Stored before the confirmation, so its keys are known here; pairing is not done yet.
    const account = device.accounts()[0]!;
    expect(done).toBe(false);
    await playUnlock(connection, pairing, { relayOrigin: relay.origin, nonce, account });

    expect(await connection.closedByDevice()).toBe(1000);
    await expect(pairing).resolves.toEqual(device.accounts()[0]);
    expect(device.connectionState(relay.origin)).toBe('idle');
  });

  it('forgets the account when the confirmation shows that no PIN opens its copy', async () => {
    const relay = await FakeRelay.start();
    const device = await openDevice({ fetch: fakeRedeem().fetch });

    const pairing = device.pair(link(relay.origin));
    const { connection } = await serve(relay);
    const unlock = await connection.next();
    // A faulty relay: this evaluation is under another key than the one the redeem used.
    connection.send({
      type: 'unlocked',
      deviceId: unlock.deviceId,
      evaluated: evaluateBlindedPin(newOprfSecretKey(), unlock.blinded as string),
      attemptsLeft: 9,
    });

    await expect(pairing).rejects.toMatchObject({ code: 'pairing_unconfirmed', reason: 'wrong_pin' });
    expect(device.accounts()).toEqual([]);
  });

  it('keeps the account when its socket cannot confirm, for the first approval to prove', async () => {
    const relay = await FakeRelay.start();
    await relay.stop();
    const device = await openDevice({ fetch: fakeRedeem().fetch });

    await expect(device.pair(link(relay.origin))).rejects.toMatchObject({ code: 'pairing_unconfirmed', reason: 'closed' });
    expect(device.accounts()).toHaveLength(1);
  });
});

describe('VirtualDevice on a relay socket', () => {
  it('answers hello with one connect signature per account on that relay, each by its connect key', async () => {
    const relay = await FakeRelay.start();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    const alice = await device.pair(link(relay.origin), { confirm: false });
    const bob = await device.pair(link(relay.origin), { confirm: false });
    await device.pair(link('http://127.0.0.1:1'), { confirm: false });

    const connecting = device.connect(relay.origin);
    const connection = await relay.nextConnection();
    expect(connection.url).toBe(DEVICE_CONNECT_PATH);
    const nonce = connection.hello();
    const auth = (await connection.next()) as { type: string; credentials: Array<{ deviceId: string; signature: string }> };

    expect(auth.type).toBe('auth');
    expect(auth.credentials.map((credential) => credential.deviceId)).toEqual([alice.deviceId, bob.deviceId]);
    for (const [index, account] of [alice, bob].entries()) {
      const statement = connectStatement({ relayOrigin: relay.origin, nonce, deviceId: account.deviceId });
      expect(verifiesWithNodeCrypto(statement, auth.credentials[index]!.signature, account.connectPublicKey)).toBe(true);
      expect(verifiesWithNodeCrypto(statement, auth.credentials[index]!.signature, account.publicKey)).toBe(false);
    }
    connection.send({ type: 'ready', accepted: [alice.deviceId], rejected: [{ deviceId: bob.deviceId, code: 'device_revoked' }] });
    const [ready] = await connecting;
    expect(ready).toMatchObject({ relayOrigin: relay.origin, accepted: [alice.deviceId] });
    expect(device.connectionState(relay.origin)).toBe('connected');
  });

  it('rejects connect() when the relay closes with 4401, and tries again when asked to', async () => {
    const relay = await FakeRelay.start();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    const account = await device.pair(link(relay.origin), { confirm: false });

    const connecting = device.connect(relay.origin);
    const connection = await relay.nextConnection();
    connection.hello();
    await connection.next();
    connection.send({ type: 'ready', accepted: [], rejected: [{ deviceId: account.deviceId, code: 'unknown_device' }] });
    connection.close(4401, 'not authenticated');

    await expect(connecting).rejects.toMatchObject({ code: 'closed' });
    await expect(device.waitForClose()).resolves.toMatchObject({ code: 4401, meaning: 'not_authenticated', willReconnect: false });
    expect(device.connectionState(relay.origin)).toBe('error');

    const retrying = device.connect(relay.origin);
    const again = await relay.nextConnection();
    again.hello();
    await again.next();
    again.send({ type: 'ready', accepted: [account.deviceId], rejected: [] });
    await expect(retrying).resolves.toHaveLength(1);
  });

  it('rejects connect() with the socket error when nothing listens', async () => {
    const relay = await FakeRelay.start();
    await relay.stop();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    await device.pair(link(relay.origin), { confirm: false });

    await expect(device.connect(relay.origin)).rejects.toMatchObject({ code: 'closed' });
    expect((await device.waitForClose(relay.origin)).error).toMatch(/ECONNREFUSED/);
  });

  it('approves after the unlock round trip with the approval key and unlock pin, and resolves with the result', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection, nonce } = await connectedDevice(relay);
    const challenge = aChallenge(account.deviceId);

    connection.send(challenge);
    const received = await device.waitForChallenge();
    expect(received).toEqual({ ...challenge, relayOrigin: relay.origin });

    const approving = device.approve(challenge.requestId, '42');
    await playUnlock(connection, approving, { relayOrigin: relay.origin, nonce, account });
    const decision = await connection.next();
    expect(decision).toMatchObject({
      type: 'decision',
      requestId: challenge.requestId,
      deviceId: account.deviceId,
      decision: 'approve',
      number: '42',
      unlock: 'pin',
    });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, decision), decision.signature as string, account.publicKey)).toBe(true);

    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
    await expect(approving).resolves.toMatchObject({ outcome: 'approved', relayOrigin: relay.origin });
    expect(device.pendingChallenges()).toEqual([]);
  });

  it("approves with unlock 'webauthn' when the call or the device says so", async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const first = await challenged(device, connection, account.deviceId);

    const approving = device.approve(first.requestId, '42', { unlock: 'webauthn' });
    const frame = await connection.next();
    expect(frame).toMatchObject({ decision: 'approve', unlock: 'webauthn' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: first.requestId, outcome: 'approved' });
    await approving;

    const other = await FakeRelay.start();
    const { device: webauthnDevice, account: second, connection: secondConnection } = await connectedDevice(other, { unlock: 'webauthn' });
    const next = await challenged(webauthnDevice, secondConnection, second.deviceId);
    const approvingAgain = webauthnDevice.approve(next.requestId, '17');
    expect(await secondConnection.next()).toMatchObject({ unlock: 'webauthn' });
    secondConnection.send({ type: 'result', requestId: next.requestId, outcome: 'approved' });
    await approvingAgain;
  });

  it.each<[Decision, 'deny' | 'report']>([
    ['deny', 'deny'],
    ['report', 'report'],
  ])('signs %s with the connect key, unlock none and an empty number', async (decision, call) => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const deciding = device[call](challenge.requestId);
    const frame = await connection.next();

    expect(frame).toMatchObject({ decision, number: '', unlock: 'none' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.connectPublicKey)).toBe(true);
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(false);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: decision === 'deny' ? 'denied' : 'reported' });
    await deciding;
  });

  it("plays an attacker: an approve signed with the connect key (claiming 'pin')", async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const deciding = device.sendDecision({ requestId: challenge.requestId, decision: 'approve', number: '42', signWith: 'connect' });
    const frame = await connection.next();

    expect(frame).toMatchObject({ decision: 'approve', number: '42', unlock: 'pin' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.connectPublicKey)).toBe(true);
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(false);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'rejected', code: 'bad_signature' });
    await expect(deciding).resolves.toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
  });

  it('refuses with the approval key when asked to, saying pin, after unlocking it', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection, nonce } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const deciding = device.sendDecision({ requestId: challenge.requestId, decision: 'deny', signWith: 'approval' });
    await playUnlock(connection, deciding, { relayOrigin: relay.origin, nonce, account });
    const frame = await connection.next();

    expect(frame).toMatchObject({ decision: 'deny', number: '', unlock: 'pin' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'denied' });
    await deciding;
  });

  it("picks the key from unlock: 'none' means the connect key, 'pin' the approval key", async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const deciding = device.sendDecision({ requestId: challenge.requestId, decision: 'report', unlock: 'webauthn' });
    const frame = await connection.next();

    expect(frame).toMatchObject({ decision: 'report', unlock: 'webauthn' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'reported' });
    await deciding;
  });

  it("refuses to sign an approve with unlock 'none', which no statement may hold, but sends one with a given signature", async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    await expect(
      device.sendDecision({ requestId: challenge.requestId, decision: 'approve', number: '42', unlock: 'none' }),
    ).rejects.toMatchObject({
      code: 'invalid_decision',
    });

    const forged = 'A'.repeat(86);
    const deciding = device.sendDecision({
      requestId: challenge.requestId,
      decision: 'approve',
      number: '42',
      unlock: 'none',
      signature: forged,
    });
    expect(await connection.next()).toMatchObject({ decision: 'approve', unlock: 'none', signature: forged });
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'rejected', code: 'invalid_request' });
    await deciding;
  });

  it('stamps signedAt with the injected device clock', async () => {
    const relay = await FakeRelay.start();
    const skewed = Date.now() + 90_000;
    const { device, account, connection } = await connectedDevice(relay, { now: () => skewed });
    const challenge = await challenged(device, connection, account.deviceId);

    const approving = device.approve(challenge.requestId, '07', { unlock: 'webauthn' });
    expect(await connection.next()).toMatchObject({ signedAt: skewed });
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'rejected', code: 'clock_skew' });
    await expect(approving).resolves.toMatchObject({ outcome: 'rejected', code: 'clock_skew' });
  });

  it('sends overridden fields as they are, for requests it never received', async () => {
    const relay = await FakeRelay.start();
    const { device, connection } = await connectedDevice(relay);
    const otherRequest = randomId();
    const otherDevice = randomId();
    const forged = 'A'.repeat(86);

    const deciding = device.sendDecision({
      requestId: otherRequest,
      decision: 'approve',
      number: '11',
      deviceId: otherDevice,
      signedAt: 5,
      unlock: 'webauthn',
      signature: forged,
    });

    expect(await connection.next()).toEqual({
      type: 'decision',
      requestId: otherRequest,
      deviceId: otherDevice,
      decision: 'approve',
      number: '11',
      signedAt: 5,
      unlock: 'webauthn',
      signature: forged,
    });
    connection.send({ type: 'result', requestId: otherRequest, outcome: 'rejected', code: 'bad_signature' });
    await expect(deciding).resolves.toMatchObject({ outcome: 'rejected' });
  });

  it('sends raw text and binary frames untouched', async () => {
    const relay = await FakeRelay.start();
    const { device, connection } = await connectedDevice(relay);

    device.sendRaw(relay.origin, '{"type":"decision","requestId":1}');
    device.sendRaw(relay.origin, Buffer.from([1, 2, 3]));

    expect(await connection.next()).toEqual({ type: 'decision', requestId: 1 });
    expect(await connection.next()).toEqual({ binary: [1, 2, 3] });
  });

  it('answers ping with a pong carrying the same t', async () => {
    const relay = await FakeRelay.start();
    const { connection } = await connectedDevice(relay);

    connection.send({ type: 'ping', t: 123_456 });

    expect(await connection.next()).toEqual({ type: 'pong', t: 123_456 });
  });

  it('drops a cancelled challenge, and waitForCancel() resolves even after the fact', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    connection.send({ type: 'cancel', requestId: challenge.requestId, reason: 'approved_elsewhere' });
    await once(device, 'cancel');

    await expect(device.waitForCancel(challenge.requestId)).resolves.toMatchObject({ reason: 'approved_elsewhere' });
    expect(device.pendingChallenges()).toEqual([]);
  });

  it('tells and remembers notices, so waitForNotice() works before and after the fact', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const added = { type: 'notice', deviceId: account.deviceId, kind: 'authenticator_added', name: 'Work laptop', at: 1_767_225_600_000 };
    const removed = { ...added, kind: 'authenticator_removed', name: 'Old phone', at: 1_767_225_700_000 };

    const waiting = device.waitForNotice((notice) => notice.kind === 'authenticator_removed');
    const told = once(device, 'notice');
    connection.send(added);
    connection.send(removed);

    expect((await told)[0]).toEqual({ ...added, relayOrigin: relay.origin });
    await expect(waiting).resolves.toEqual({ ...removed, relayOrigin: relay.origin });
    await expect(device.waitForNotice((notice) => notice.name === 'Work laptop')).resolves.toMatchObject({ kind: 'authenticator_added' });
    expect(device.notices()).toEqual([
      { ...added, relayOrigin: relay.origin },
      { ...removed, relayOrigin: relay.origin },
    ]);
  });

  it('forgets a revoked account, in memory and in the key file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-device-'));
    onTestFinished(() => rm(directory, { recursive: true, force: true }));
    const keysPath = join(directory, 'keys.json');
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay, { keysPath });
    await challenged(device, connection, account.deviceId);

    connection.send({ type: 'revoked', deviceId: account.deviceId });
    const revoked = await device.waitForRevoked(account.deviceId);

    expect(revoked.account).toEqual(account);
    expect(device.accounts()).toEqual([]);
    expect(device.pendingChallenges()).toEqual([]);
    await device.close();
    expect((await DeviceStore.open(keysPath)).list()).toEqual([]);
  });

  it('rejects a waiting decision when the socket closes before the result', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection, nonce } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const approving = device.approve(challenge.requestId, '42');
    await playUnlock(connection, approving, { relayOrigin: relay.origin, nonce, account });
    await connection.next();
    connection.close(4429, 'rate limited');

    await expect(approving).rejects.toMatchObject({ code: 'closed' });
  });

  it('reports an invalid frame, naming the field, and keeps going', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);

    connection.send({ ...aChallenge(account.deviceId), match: { mode: 'choose', digits: 2 } });
    const [invalid] = await once(device, 'invalidFrame');
    expect(invalid).toMatchObject({ relayOrigin: relay.origin, field: 'match.choices' });

    connection.send({ type: 'ping', t: 1 });
    expect(await connection.next()).toEqual({ type: 'pong', t: 1 });
  });

  it('reports a binary frame as invalid, and ignores a frame type it does not know', async () => {
    const relay = await FakeRelay.start();
    const { device, connection } = await connectedDevice(relay);
    const invalid: unknown[] = [];
    device.on('invalidFrame', (frame) => invalid.push(frame));

    connection.send({ type: 'future_feature', x: 1 });
    connection.socket.send(Buffer.from('{"type":"ping","t":2}'), { binary: true });
    connection.send({ type: 'ping', t: 3 });

    expect(await connection.next()).toEqual({ type: 'pong', t: 3 });
    expect(invalid).toEqual([{ relayOrigin: relay.origin, field: 'frame', message: 'not a text frame' }]);
  });

  it('reconnects quickly after 1012 when asked to, but not after 4403', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay, { autoReconnect: true, random: () => 0 });

    connection.close(1012, 'restarting');
    await expect(device.waitForClose(relay.origin)).resolves.toMatchObject({ code: 1012, meaning: 'restarting', willReconnect: true });
    const again = await relay.nextConnection();
    again.hello();
    expect(await again.next()).toMatchObject({ type: 'auth' });
    again.send({ type: 'ready', accepted: [account.deviceId], rejected: [] });
    await device.connected(relay.origin);

    again.close(4403, 'all credentials revoked');
    await expect(device.waitForClose(relay.origin)).resolves.toMatchObject({ code: 4403, meaning: 'revoked', willReconnect: false });
    expect(device.connectionState(relay.origin)).toBe('error');
  });

  it('reconnects after pairing another account on a connected relay, so both authenticate', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);

    const pairing = device.pair(link(relay.origin, 'bob@demo.test'));
    expect(await connection.closedByDevice()).toBe(1000);
    const again = await relay.nextConnection();
    const nonce = again.hello();
    const auth = (await again.next()) as { credentials: Array<{ deviceId: string }> };
    expect(auth.credentials).toHaveLength(2);
    again.send({ type: 'ready', accepted: auth.credentials.map((credential) => credential.deviceId), rejected: [] });
    // The new account's wrap is confirmed on the new socket, which stays open.
    const bobInfo = device.accounts().find((held) => held.deviceId !== account.deviceId)!;
    await playUnlock(again, pairing, { relayOrigin: relay.origin, nonce, account: bobInfo });

    const bob = await pairing;
    expect(device.connectionState(relay.origin)).toBe('connected');
    expect(auth.credentials.map((credential) => credential.deviceId)).toEqual([account.deviceId, bob.deviceId]);
  });

  it('closes its sockets with 1000 and waits for them on close()', async () => {
    const relay = await FakeRelay.start();
    const { device, connection } = await connectedDevice(relay);

    await device.close();

    expect(await connection.closedByDevice()).toBe(1000);
    expect(device.connectionState(relay.origin)).toBe('idle');
    await expect(device.waitForClose(relay.origin)).resolves.toMatchObject({ code: 1000, willReconnect: false });
  });

  it('rejects a decision when it is not connected to the relay', async () => {
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    await device.pair(link('http://127.0.0.1:8787'), { confirm: false });

    const approving = device.sendDecision({
      requestId: randomId(),
      decision: 'approve',
      number: '42',
      relayOrigin: 'http://127.0.0.1:8787',
    });

    await expect(approving).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('times out waiting for a challenge that never comes', async () => {
    const relay = await FakeRelay.start();
    const { device } = await connectedDevice(relay);

    await expect(device.waitForChallenge(() => true, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('VirtualDevice and the PIN (section 4a)', () => {
  it('reports a wrong PIN with the attempts left, sends no proof and no decision, and approves with the right one after', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection, nonce } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);
    const unlocks: unknown[] = [];
    device.on('unlock', (event) => unlocks.push(event));

    const wrong = device.approve(challenge.requestId, '42', { pin: '000000' });
    const unlock = await connection.next();
    expect(unlock).toMatchObject({ type: 'unlock', deviceId: account.deviceId });
    connection.send(unlockedFor(unlock, 9));
    await expect(wrong).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 9 });

    const right = device.approve(challenge.requestId, '42');
    await playUnlock(connection, right, { relayOrigin: relay.origin, nonce, account });
    expect(await connection.next()).toMatchObject({ type: 'decision', decision: 'approve' });
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
    await right;
    expect(unlocks).toEqual([
      { relayOrigin: relay.origin, deviceId: account.deviceId, outcome: 'wrong_pin', attemptsLeft: 9 },
      { relayOrigin: relay.origin, deviceId: account.deviceId, outcome: 'unlocked', attemptsLeft: 10 },
    ]);
  });

  it('drives PIN guesses with tryPin(), and rejects with pin_locked when the relay refuses to evaluate', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);

    const guessing = device.tryPin(account.deviceId, '111111');
    connection.send(unlockedFor(await connection.next(), 1));
    await expect(guessing).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 1 });

    const locked = device.tryPin(account.deviceId, '222222');
    await connection.next();
    connection.send({ type: 'error', code: 'pin_locked', message: 'too many PIN failures', deviceId: account.deviceId });
    await expect(locked).rejects.toMatchObject({ code: 'pin_locked' });
    await expect(device.waitForNotice(() => false, { timeoutMs: 1 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('still approves with its authenticator copy, without any unlock frame, when the PIN is locked', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = await challenged(device, connection, account.deviceId);

    const approving = device.approve(challenge.requestId, '42', { unlock: 'webauthn' });
    const frame = await connection.next();
    expect(frame).toMatchObject({ type: 'decision', unlock: 'webauthn' });
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, frame), frame.signature as string, account.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
    await approving;
  });

  it('tells pin_failure and pin_locked notices as their own events', async () => {
    const relay = await FakeRelay.start();
    const { device, account, connection } = await connectedDevice(relay);
    const failure = once(device, 'pinFailure');
    const lock = once(device, 'pinLocked');

    connection.send({ type: 'notice', deviceId: account.deviceId, kind: 'pin_failure', name: 'Stolen laptop', at: 1 });
    connection.send({ type: 'notice', deviceId: account.deviceId, kind: 'pin_locked', name: 'Stolen laptop', at: 2 });

    expect((await failure)[0]).toMatchObject({ kind: 'pin_failure', name: 'Stolen laptop', relayOrigin: relay.origin });
    expect((await lock)[0]).toMatchObject({ kind: 'pin_locked', at: 2 });
  });

  it('changes the PIN of every account on every relay with rekey, confirms each, and approves with the new PIN', async () => {
    const first = await FakeRelay.start();
    const second = await FakeRelay.start();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    const alice = await device.pair(link(first.origin), { confirm: false });
    const bob = await device.pair(link(second.origin, 'bob@demo.test'), { confirm: false });

    const changing = device.changePin('123456', '654321');
    const sockets = await Promise.all([serve(first), serve(second)]);
    await Promise.all(
      [alice, bob].map(async (account, index) => {
        const { connection, nonce } = sockets[index]!;
        const relayOrigin = index === 0 ? first.origin : second.origin;
        await playUnlock(connection, changing, { relayOrigin, nonce, account });
        const rekey = await connection.next();
        expect(rekey).toMatchObject({ type: 'rekey', deviceId: account.deviceId, blinded: expect.any(String) });
        const statement = deviceActionStatement({
          relayOrigin,
          nonce,
          deviceId: account.deviceId,
          action: 'rekey',
          detail: rekey.blinded as string,
        });
        expect(verifyStatementWithNoble(statement, rekey.signature as string, account.publicKey)).toBe(true);
        // The relay makes a new OPRF key and forgets the old one.
        const key = newOprfSecretKey();
        fakeOprfKeys.set(account.deviceId, key);
        connection.send({ type: 'rekeyed', deviceId: account.deviceId, evaluated: evaluateBlindedPin(key, rekey.blinded as string) });
        await playUnlock(connection, changing, { relayOrigin, nonce, account });
      }),
    );

    const change = await changing;
    expect(change).toEqual({ changed: [alice, bob], failed: [] });
    expect(await sockets[0].connection.closedByDevice()).toBe(1000);

    // The old PIN now opens nothing; the new one is the device's PIN for these accounts.
    const { connection, nonce } = await accepted(device, first);
    await expect(async () => {
      const guessing = device.tryPin(alice.deviceId, '123456');
      connection.send(unlockedFor(await connection.next()));
      await guessing;
    }).rejects.toMatchObject({ code: 'wrong_pin' });
    const unlocking = device.tryPin(alice.deviceId);
    await playUnlock(connection, unlocking, { relayOrigin: first.origin, nonce, account: alice });
    await unlocking;
  });

  it('changes nothing and names the relays it cannot reach', async () => {
    const up = await FakeRelay.start();
    const down = await FakeRelay.start();
    await down.stop();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    await device.pair(link(up.origin), { confirm: false });
    await device.pair(link(down.origin), { confirm: false });

    const changing = device.changePin('123456', '654321');
    const { connection } = await serve(up);

    await expect(changing).rejects.toMatchObject({ code: 'relays_unreachable', relays: [down.origin] });
    expect(await connection.closedByDevice()).toBe(1000);
  });

  it('upgrades a revision 2 account at its next approval: evaluate, wrap, prove, confirm, then drop the raw key', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-device-'));
    onTestFinished(() => rm(directory, { recursive: true, force: true }));
    const keysPath = join(directory, 'keys.json');
    const relay = await FakeRelay.start();
    const approval = generateDeviceKeyPair();
    const connect = generateDeviceKeyPair();
    const old = {
      relayOrigin: relay.origin,
      upn: 'alice@demo.test',
      displayName: 'Alice',
      deviceId: randomId(),
      publicKey: approval.publicKey,
      connectPublicKey: connect.publicKey,
      approvalKey: toBase64Url(approval.secretKey),
      connectKey: toBase64Url(connect.secretKey),
    };
    await writeFile(keysPath, JSON.stringify({ version: 2, accounts: [old] }));
    // As the relay does for a revision 2 device: its OPRF key is made at its first unlock.
    fakeOprfKeys.set(old.deviceId, newOprfSecretKey());
    const device = await openDevice({ keysPath, pin: '424242' });
    expect(device.awaitsUpgrade(old.deviceId)).toBe(true);
    const { connection, nonce } = await accepted(device, relay);
    const challenge = await challenged(device, connection, old.deviceId);

    const approving = device.approve(challenge.requestId, '42');
    await playUnlock(connection, approving, { relayOrigin: relay.origin, nonce, account: old });
    await playUnlock(connection, approving, { relayOrigin: relay.origin, nonce, account: old });
    const decision = await connection.next();
    expect(verifiesWithNodeCrypto(statementOf(relay.origin, decision), decision.signature as string, old.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
    await approving;

    expect(device.awaitsUpgrade(old.deviceId)).toBe(false);
    const file = await readFile(keysPath, 'utf8');
    expect(JSON.parse(file)).toMatchObject({ version: 3, accounts: [{ deviceId: old.deviceId, pinWrapped: expect.any(Object) }] });
    expect(file).not.toContain(old.approvalKey);
  });
});
