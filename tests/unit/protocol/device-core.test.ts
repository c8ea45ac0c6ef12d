import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CLOSE_CODES,
  LIMITS,
  ProtocolError,
  REDEEM_PAIRING_PATH,
  buildPairingLink,
  connectStatement,
  generateDeviceKeyPair,
  publicKeyOf,
  randomId,
  verifyStatementWithNoble,
  type RelayToDeviceMessage,
} from '../../../protocol/index.ts';
import {
  BASE_BACKOFF_MS,
  MAX_BACKOFF_MS,
  RelayConnection,
  authFrame,
  buildDecision,
  checkDecision,
  closeMeaning,
  connectUrl,
  isPairableRelayOrigin,
  preparePairing,
  rawKeyCrypto,
  readPairingLink,
  readRedeemAnswer,
  readRelayFrame,
  reconnectDelayMs,
  secretKeySigner,
  shouldReconnect,
  type ClosedSocket,
  type DeviceCrypto,
  type StatementSigner,
} from '../../../protocol/device/index.ts';
import { blindPin, evaluateBlindedPin, newOprfSecretKey } from '../../../protocol/pin-oprf.ts';
import { unlockWithPin, wrapUnderEvaluation, type PinChannel } from '../../../protocol/device/pin-unlock.ts';
import { EvaluationWaiters } from '../../../protocol/device/index.ts';
import type { PinWrappedKey } from '../../../protocol/pin-oprf.ts';
import {
  FAKE_RELAY_PIN,
  MemorySockets,
  SUITE_WAIT_MS,
  WaitQueue,
  deviceCoreSuite,
  fakeOprfKeys,
  type DeviceCoreAdapter,
  type DeviceHarness,
  type PairedAccount,
} from './device-core-suite.ts';

/**
 * The device core (protocol/device): its functions one by one, then the shared device suite
 * run against a minimal device assembled from nothing but the core and in-memory sockets.
 */

interface Vector {
  name: string;
  kind: 'pair' | 'connect' | 'decision';
  secretKey: string;
  publicKey: string;
  input: Record<string, string | number>;
  signatures: { lowS: string; highS: string };
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../fixtures/signature-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] }
).vectors;
const vector = (name: string) => vectors.find((candidate) => candidate.name === name)!;
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

const ORIGIN = 'http://127.0.0.1:8787';

// ---- Functions ----

describe('readPairingLink()', () => {
  it('reads an https link into its offer', () => {
    const token = randomId();
    const link = buildPairingLink({ relayOrigin: 'https://id.example.com', token, upn: 'alice@example.com' });
    expect(readPairingLink(`  ${link}\n`)).toEqual({
      ok: true,
      offer: { relayOrigin: 'https://id.example.com', token, upn: 'alice@example.com' },
    });
  });

  it.each(['http://127.0.0.1:8787', 'http://127.4.5.6', 'http://[::1]:8787', 'http://localhost:3000'])(
    'accepts http on loopback: %s',
    (relayOrigin) => {
      expect(readPairingLink(buildPairingLink({ relayOrigin, token: randomId(), upn: 'a@b.test' }))).toMatchObject({ ok: true });
    },
  );

  it.each(['http://example.com', 'http://127.0.0.1.evil.com', 'http://localhost.evil.com', 'http://[::2]', 'http://192.168.1.10:8787'])(
    'refuses http off loopback: %s',
    (relayOrigin) => {
      expect(readPairingLink(buildPairingLink({ relayOrigin, token: randomId(), upn: 'a@b.test' }))).toEqual({
        ok: false,
        code: 'insecure_relay',
      });
    },
  );

  it('calls anything else an invalid link', () => {
    expect(readPairingLink('https://id.example.com/pair#v=2&token=x')).toEqual({ ok: false, code: 'invalid_link' });
    expect(readPairingLink('not a link')).toEqual({ ok: false, code: 'invalid_link' });
  });

  it('judges origins that no link can carry as not pairable', () => {
    expect(isPairableRelayOrigin('ftp://127.0.0.1')).toBe(false);
    expect(isPairableRelayOrigin('nonsense')).toBe(false);
    expect(isPairableRelayOrigin('https://id.example.com')).toBe(true);
  });
});

/** A DeviceCrypto handing out fixed keys, so preparePairing can be checked against the vectors. */
function fixedCrypto(approvalSecret: Uint8Array, connectSecret: Uint8Array): DeviceCrypto<Uint8Array> {
  return {
    newApprovalKey: async () => ({ secretKey: approvalSecret.slice(), publicKey: publicKeyOf(approvalSecret) }),
    newConnectKey: async () => ({ key: connectSecret.slice(), publicKey: publicKeyOf(connectSecret) }),
    approvalSigner: rawKeyCrypto.approvalSigner,
    connectSigner: rawKeyCrypto.connectSigner,
  };
}

describe('preparePairing()', () => {
  const pair = vector('pair');
  const offer = { relayOrigin: pair.input.relayOrigin as string, token: pair.input.pairingToken as string, upn: 'alice@demo.test' };
  const deviceName = pair.input.deviceName as string;

  const pinBlinded = blindPin(FAKE_RELAY_PIN).blinded;

  it('signs the pair statement with the approval key, to the known-answer vector, and carries pinBlinded', async () => {
    const prepared = await preparePairing({
      offer,
      deviceName,
      crypto: fixedCrypto(fromHex(pair.secretKey), fromHex(vector('connect').secretKey)),
      pinBlinded,
    });
    expect(prepared.body).toEqual({
      token: offer.token,
      publicKey: pair.input.publicKey,
      connectPublicKey: pair.input.connectPublicKey,
      deviceName,
      pinBlinded,
      signature: pair.signatures.lowS,
    });
  });

  it('makes two different key pairs and hands both back with the body', async () => {
    const prepared = await preparePairing({ offer, deviceName: 'Test', crypto: rawKeyCrypto, pinBlinded });
    expect(prepared.approvalKey.publicKey).not.toBe(prepared.connectKey.publicKey);
    expect(publicKeyOf(prepared.approvalKey.secretKey)).toBe(prepared.body.publicKey);
    expect(publicKeyOf(prepared.connectKey.key)).toBe(prepared.body.connectPublicKey);
  });

  it('refuses a crypto that hands out the same key twice', async () => {
    const secret = generateDeviceKeyPair().secretKey;
    await expect(preparePairing({ offer, deviceName: 'Test', crypto: fixedCrypto(secret, secret), pinBlinded })).rejects.toThrow(/equal/);
  });
});

describe('readRedeemAnswer()', () => {
  const answer = {
    deviceId: randomId(),
    account: { userId: randomId(), upn: 'alice@demo.test', displayName: 'Alice' },
    relay: { origin: ORIGIN, name: 'Countersign' },
    pinEvaluated: evaluateBlindedPin(newOprfSecretKey(), blindPin(FAKE_RELAY_PIN).blinded),
  };

  it('reads a 201 answer', () => {
    expect(readRedeemAnswer(201, answer)).toEqual({ ok: true, value: answer });
  });

  it("gives the relay's code and message for an error answer", () => {
    expect(readRedeemAnswer(410, { error: { code: 'pairing_expired', message: 'expired' } })).toEqual({
      ok: false,
      code: 'pairing_expired',
      message: 'expired',
    });
    expect(readRedeemAnswer(409, { error: { code: 'pairing_used' } })).toEqual({ ok: false, code: 'pairing_used' });
  });

  it('names the status when the error answer has no code', () => {
    expect(readRedeemAnswer(502, null)).toEqual({ ok: false, code: 'http_502' });
    expect(readRedeemAnswer(500, { error: 'boom' })).toEqual({ ok: false, code: 'http_500' });
  });

  it('calls a 201 without a valid body a bad response', () => {
    expect(readRedeemAnswer(201, { ...answer, deviceId: 'short' })).toMatchObject({ ok: false, code: 'bad_response' });
    const { pinEvaluated: _missing, ...revisionTwo } = answer;
    expect(readRedeemAnswer(201, revisionTwo)).toMatchObject({ ok: false, code: 'bad_response' });
  });
});

describe('authFrame()', () => {
  const accountWithKeys = () => {
    const keys = generateDeviceKeyPair();
    return { deviceId: randomId(), connect: secretKeySigner(keys.secretKey, keys.publicKey) };
  };

  it('is null when there is no account to authenticate', async () => {
    expect(await authFrame({ relayOrigin: ORIGIN, nonce: randomId(), accounts: [] })).toBeNull();
  });

  it('signs the connect statement with each connect key, to the known-answer vector', async () => {
    const connect = vector('connect');
    const { relayOrigin, nonce, deviceId } = connect.input as { relayOrigin: string; nonce: string; deviceId: string };
    const signer = secretKeySigner(fromHex(connect.secretKey), connect.publicKey);
    expect(await authFrame({ relayOrigin, nonce, accounts: [{ deviceId, connect: signer }] })).toEqual({
      type: 'auth',
      credentials: [{ deviceId, signature: connect.signatures.lowS }],
    });
  });

  it('names each deviceId once, in order', async () => {
    const [a, b] = [accountWithKeys(), accountWithKeys()];
    const frame = await authFrame({ relayOrigin: ORIGIN, nonce: randomId(), accounts: [a, b, a, b, a] });
    expect(frame?.credentials.map((credential) => credential.deviceId)).toEqual([a.deviceId, b.deviceId]);
  });

  it(`stops at ${LIMITS.maxCredentialsPerSocket} credentials, each verifying with its connect key`, async () => {
    const accounts = Array.from({ length: LIMITS.maxCredentialsPerSocket + 6 }, accountWithKeys);
    const nonce = randomId();
    const frame = await authFrame({ relayOrigin: ORIGIN, nonce, accounts });
    expect(frame?.credentials.map((credential) => credential.deviceId)).toEqual(
      accounts.slice(0, LIMITS.maxCredentialsPerSocket).map((account) => account.deviceId),
    );
    for (const [index, credential] of frame!.credentials.entries()) {
      const statement = connectStatement({ relayOrigin: ORIGIN, nonce, deviceId: credential.deviceId });
      expect(verifyStatementWithNoble(statement, credential.signature, accounts[index]!.connect.publicKey)).toBe(true);
    }
  });
});

describe('buildDecision()', () => {
  it.each(['decision-approve', 'decision-approve-webauthn', 'decision-deny', 'decision-report'])('makes the %s vector', async (name) => {
    const known = vector(name);
    const input = known.input as {
      relayOrigin: string;
      requestId: string;
      deviceId: string;
      decision: 'approve' | 'deny' | 'report';
      number: string;
      signedAt: number;
      unlock: 'pin' | 'webauthn' | 'none';
    };
    const { relayOrigin, ...fields } = input;
    const frame = await buildDecision({ ...input, signer: secretKeySigner(fromHex(known.secretKey), known.publicKey) });
    expect(frame).toEqual({ type: 'decision', ...fields, signature: known.signatures.lowS });
    expect(relayOrigin).toBe(ORIGIN);
  });

  it('signs an approve with the approval key and a refusal with the connect key in the vectors', () => {
    expect(vector('decision-approve').publicKey).toBe(vector('pair').publicKey);
    expect(vector('decision-deny').publicKey).toBe(vector('connect').publicKey);
    expect(vector('decision-deny').publicKey).not.toBe(vector('decision-approve').publicKey);
  });

  it("refuses to build an approve with unlock 'none'", async () => {
    const keys = generateDeviceKeyPair();
    const building = buildDecision({
      relayOrigin: ORIGIN,
      requestId: randomId(),
      deviceId: randomId(),
      decision: 'approve',
      number: '42',
      signedAt: Date.now(),
      unlock: 'none',
      signer: secretKeySigner(keys.secretKey, keys.publicKey),
    });
    await expect(building).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('checkDecision()', () => {
  it.each([
    [{ decision: 'approve', number: '42', digits: 2, unlock: 'pin' }, null],
    [{ decision: 'approve', number: '004271', digits: 6, unlock: 'webauthn' }, null],
    [{ decision: 'approve', number: '42', digits: 2, unlock: 'none' }, 'unlock_required'],
    [{ decision: 'approve', number: '4', digits: 2, unlock: 'pin' }, 'invalid_number'],
    [{ decision: 'approve', number: '', digits: 2, unlock: 'pin' }, 'invalid_number'],
    [{ decision: 'deny', number: '', digits: 2, unlock: 'none' }, null],
    [{ decision: 'report', number: '', digits: 3, unlock: 'none' }, null],
    [{ decision: 'deny', number: '', digits: 2, unlock: 'pin' }, null],
    [{ decision: 'deny', number: '42', digits: 2, unlock: 'none' }, 'invalid_number'],
  ] as const)('%o is %s', (input, problem) => {
    expect(checkDecision(input)).toBe(problem);
  });
});

describe('closeMeaning() and shouldReconnect()', () => {
  it.each([
    [CLOSE_CODES.notAuthenticated, 'not_authenticated', false],
    [CLOSE_CODES.allRevoked, 'revoked', false],
    [CLOSE_CODES.serviceRestart, 'restarting', true],
    [1000, 'dropped', true],
    [1006, 'dropped', true],
    [CLOSE_CODES.malformed, 'dropped', true],
    [CLOSE_CODES.authTimeout, 'dropped', true],
    [CLOSE_CODES.rateLimited, 'dropped', true],
  ])('reads %i as %s (reconnect: %s)', (code, meaning, reconnect) => {
    expect(closeMeaning(code)).toBe(meaning);
    expect(shouldReconnect(code)).toBe(reconnect);
  });
});

describe('reconnectDelayMs()', () => {
  const randoms = Array.from({ length: 21 }, (_, i) => Math.min(i / 20, 0.999_999));

  it('comes back between 250 and 3000 ms after 1012, whatever the attempt', () => {
    for (const attempt of [0, 1, 5, 20]) {
      for (const random of randoms) {
        const delay = reconnectDelayMs(attempt, random, CLOSE_CODES.serviceRestart);
        expect(delay).toBeGreaterThanOrEqual(250);
        expect(delay).toBeLessThanOrEqual(3_000);
      }
    }
    expect(reconnectDelayMs(0, 0, CLOSE_CODES.serviceRestart)).toBe(250);
  });

  it('backs off between half and all of a ceiling that doubles from 1 s up to 30 s', () => {
    for (let attempt = 0; attempt <= 40; attempt++) {
      const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
      for (const random of randoms) {
        const delay = reconnectDelayMs(attempt, random, 1006);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
    expect(reconnectDelayMs(60, 0.999_999)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
  });

  it('takes its jitter from the random number it is given', () => {
    expect(reconnectDelayMs(3, 0)).toBe(4_000);
    expect(reconnectDelayMs(3, 0.25)).toBe(5_000);
    expect(reconnectDelayMs(3, 0.75)).toBe(7_000);
    expect(reconnectDelayMs(0, 0.5, CLOSE_CODES.serviceRestart)).toBe(1_625);
  });
});

describe('connectUrl()', () => {
  it('turns the relay origin into its device socket URL', () => {
    expect(connectUrl('http://127.0.0.1:8787')).toBe('ws://127.0.0.1:8787/api/v1/devices/connect');
    expect(connectUrl('https://id.example.com')).toBe('wss://id.example.com/api/v1/devices/connect');
  });
});

describe('readRelayFrame()', () => {
  it('reads a known frame', () => {
    expect(readRelayFrame(JSON.stringify({ type: 'ping', t: 5 }))).toEqual({ kind: 'frame', frame: { type: 'ping', t: 5 } });
  });

  it('reads a notice', () => {
    const notice = { type: 'notice', deviceId: randomId(), kind: 'authenticator_added', name: 'Work laptop', at: 1_767_225_600_000 };
    expect(readRelayFrame(JSON.stringify(notice))).toEqual({ kind: 'frame', frame: notice });
    expect(readRelayFrame(JSON.stringify({ ...notice, kind: 'authenticator_renamed' }))).toMatchObject({ kind: 'invalid', field: 'kind' });
  });

  it('calls a type it does not know unknown, so the device can ignore it', () => {
    expect(readRelayFrame(JSON.stringify({ type: 'future_feature', x: 1 }))).toEqual({ kind: 'unknown', type: 'future_feature' });
    expect(readRelayFrame(JSON.stringify({ type: 'y'.repeat(500) }))).toEqual({ kind: 'unknown', type: 'y'.repeat(32) });
  });

  it(`calls a frame over ${LIMITS.frameBytes} bytes invalid before reading it`, () => {
    const frame = JSON.stringify({ type: 'ping', t: 1 });
    expect(readRelayFrame(frame.padEnd(LIMITS.frameBytes, ' '))).toMatchObject({ kind: 'frame' });
    expect(readRelayFrame(frame.padEnd(LIMITS.frameBytes + 1, ' '))).toEqual({
      kind: 'invalid',
      field: 'frame',
      message: 'frame too large',
    });
  });

  it('calls binary data, bad JSON and a frame without a type invalid', () => {
    expect(readRelayFrame(new ArrayBuffer(4))).toMatchObject({ kind: 'invalid', field: 'frame' });
    expect(readRelayFrame('{"type":')).toMatchObject({ kind: 'invalid', field: 'frame' });
    expect(readRelayFrame('{"t":1}')).toMatchObject({ kind: 'invalid' });
  });
});

// ---- A device made of the core alone ----

interface CoreAccount extends PairedAccount {
  /** The approval key under the PIN wrapping key; `webauthn` stands for the authenticator's copy. */
  wrapped: PinWrappedKey;
  webauthn: StatementSigner;
  connect: StatementSigner;
}

/** An account as pairing leaves it: the relay's OPRF key in fakeOprfKeys, the approval key wrapped. */
async function coreAccount(): Promise<CoreAccount> {
  const offer = { relayOrigin: ORIGIN, token: randomId(), upn: 'alice@demo.test' };
  const pending = blindPin(FAKE_RELAY_PIN);
  const { approvalKey, connectKey } = await preparePairing({
    offer,
    deviceName: 'Core test device',
    crypto: rawKeyCrypto,
    pinBlinded: pending.blinded,
  });
  const deviceId = randomId();
  const oprfKey = newOprfSecretKey();
  fakeOprfKeys.set(deviceId, oprfKey);
  const { wrapped } = await wrapUnderEvaluation({
    pin: FAKE_RELAY_PIN,
    pending,
    evaluated: evaluateBlindedPin(oprfKey, pending.blinded),
    deviceId,
    relayOrigin: ORIGIN,
    secretKey: approvalKey.secretKey,
  });
  return {
    deviceId,
    publicKey: approvalKey.publicKey,
    connectPublicKey: connectKey.publicKey,
    wrapped,
    webauthn: secretKeySigner(approvalKey.secretKey, approvalKey.publicKey),
    connect: rawKeyCrypto.connectSigner(connectKey.key, connectKey.publicKey),
  };
}

/** The core's RelayConnection on in-memory sockets, deciding with buildDecision. */
async function coreDevice(count: number) {
  const accounts = await Promise.all(Array.from({ length: count }, coreAccount));
  const sockets = new MemorySockets();
  const delivered = new WaitQueue<RelayToDeviceMessage>('frame for the account logic');
  const closes = new WaitQueue<ClosedSocket>('close');
  const challenges = new Map<string, string>();
  const waiters = new EvaluationWaiters();
  const connection = new RelayConnection(ORIGIN, {
    createSocket: sockets.create,
    accounts: () => accounts.map(({ deviceId, connect }) => ({ deviceId, connect })),
    onFrame: (frame) => {
      if (waiters.take(frame)) return;
      if (frame.type === 'challenge') challenges.set(frame.requestId, frame.deviceId);
      delivered.push(frame);
    },
    onClose: (closed) => closes.push(closed),
    random: () => 0,
    now: Date.now,
  });
  onTestFinished(() => connection.stop());
  // The PIN channel over the core's connection, as a device built on the core wires it.
  const channel: PinChannel = {
    relayOrigin: ORIGIN,
    async unlock(deviceId, blinded) {
      const nonce = connection.nonce;
      const answer = waiters.wait('unlock', deviceId, SUITE_WAIT_MS);
      connection.send({ type: 'unlock', deviceId, blinded });
      return { answer: await answer, nonce };
    },
    async rekey(deviceId, build) {
      const nonce = connection.nonce!;
      const answer = waiters.wait('rekey', deviceId, SUITE_WAIT_MS);
      connection.send(await build(nonce));
      return { answer: await answer, nonce };
    },
    sendOn: async (nonce, frame) => connection.nonce === nonce && connection.send(frame),
  };
  const decide = async (
    requestId: string,
    fields: { decision: 'approve' | 'deny' | 'report'; number: string; unlock: 'pin' | 'webauthn' | 'none' },
    pin = FAKE_RELAY_PIN,
  ) => {
    const account = accounts.find((candidate) => candidate.deviceId === challenges.get(requestId))!;
    let signer = fields.unlock === 'none' ? account.connect : account.webauthn;
    let secret: Uint8Array | null = null;
    if (fields.unlock === 'pin') {
      const unlocked = await unlockWithPin({
        pin,
        deviceId: account.deviceId,
        wrapped: account.wrapped,
        channel,
        approvalSigner: (secretKey) => secretKeySigner(secretKey, account.publicKey),
      });
      if (!unlocked.ok) throw Object.assign(new Error(unlocked.message), { code: unlocked.code });
      secret = unlocked.secretKey;
      signer = secretKeySigner(secret, account.publicKey);
    }
    try {
      const frame = await buildDecision({
        relayOrigin: ORIGIN,
        requestId,
        deviceId: account.deviceId,
        signedAt: Date.now(),
        ...fields,
        signer,
      });
      expect(connection.send(frame)).toBe(true);
    } finally {
      secret?.fill(0);
    }
  };
  const harness: DeviceHarness = {
    relayOrigin: ORIGIN,
    accounts,
    connect: () => connection.ensure(),
    connected: async () => {
      if (!(await connection.waitUntilReady(SUITE_WAIT_MS))) throw new Error('not connected');
    },
    nextSocket: () => sockets.next(),
    socketsOpened: () => sockets.opened.length,
    nextDelivered: () => delivered.next(),
    nextClose: () => closes.next(),
    state: () => connection.state,
    approve: (requestId, number, unlock, pin) => decide(requestId, { decision: 'approve', number, unlock }, pin),
    refuse: (requestId, decision) => decide(requestId, { decision, number: '', unlock: 'none' }),
    reauthenticate: () => connection.reauthenticate(),
  };
  return { harness, connection, sockets, closes };
}

const coreAdapter: DeviceCoreAdapter = {
  name: 'device core',
  async pair(link, redeem) {
    const checked = readPairingLink(link);
    if (!checked.ok) return checked;
    const prepared = await preparePairing({
      offer: checked.offer,
      deviceName: 'Core test device',
      crypto: rawKeyCrypto,
      pinBlinded: blindPin(FAKE_RELAY_PIN).blinded,
    });
    const answer = redeem(`${checked.offer.relayOrigin}${REDEEM_PAIRING_PATH}`, prepared.body);
    const read = readRedeemAnswer(answer.status, answer.body);
    if (!read.ok) return { ok: false, code: read.code };
    return {
      ok: true,
      account: {
        deviceId: read.value.deviceId,
        publicKey: prepared.approvalKey.publicKey,
        connectPublicKey: prepared.connectKey.publicKey,
      },
    };
  },
  device: async ({ accounts }) => (await coreDevice(accounts)).harness,
};

deviceCoreSuite(coreAdapter);

// ---- RelayConnection details the suite does not reach ----

describe('RelayConnection', () => {
  it('sends nothing on a socket that has no ready yet', async () => {
    const { harness, connection } = await coreDevice(1);
    harness.connect();
    await harness.nextSocket();
    expect(connection.send({ type: 'pong', t: 1 })).toBe(false);
  });

  it('closes quietly after hello when no account is left', async () => {
    const sockets = new MemorySockets();
    const closes = new WaitQueue<ClosedSocket>('close');
    const connection = new RelayConnection(ORIGIN, {
      createSocket: sockets.create,
      accounts: () => [],
      onFrame: () => undefined,
      onClose: (closed) => closes.push(closed),
      random: () => 0,
      now: Date.now,
    });
    onTestFinished(() => connection.stop());
    connection.ensure();
    const relay = await sockets.next();
    relay.send({ type: 'hello', nonce: randomId(), serverTime: Date.now() });

    expect(await relay.closedByDevice()).toBe(1000);
    expect(await closes.next()).toMatchObject({ code: 1000, willReconnect: false });
    expect(connection.state).toBe('error');
  });

  it('opens nothing on ensure() after a refusal, but again after reauthenticate()', async () => {
    const { harness, connection, sockets } = await coreDevice(1);
    harness.connect();
    const relay = await harness.nextSocket();
    relay.close(CLOSE_CODES.allRevoked);
    await harness.nextClose();

    connection.ensure();
    expect(sockets.opened).toHaveLength(1);
    connection.reauthenticate();
    expect(sockets.opened).toHaveLength(2);
  });

  it('tells waitUntilReady() no after a refusal', async () => {
    const { harness, connection } = await coreDevice(1);
    harness.connect();
    const relay = await harness.nextSocket();
    const waiting = connection.waitUntilReady(SUITE_WAIT_MS);
    relay.close(CLOSE_CODES.notAuthenticated);
    expect(await waiting).toBe(false);
  });

  it('closes with 1000 on stop() and does not come back', async () => {
    const { harness, connection, sockets, closes } = await coreDevice(1);
    harness.connect();
    const relay = await harness.nextSocket();

    connection.stop();

    expect(await relay.closedByDevice()).toBe(1000);
    expect(await closes.next()).toMatchObject({ code: 1000, willReconnect: false });
    connection.ensure();
    expect(sockets.opened).toHaveLength(1);
    expect(connection.state).toBe('idle');
  });
});
