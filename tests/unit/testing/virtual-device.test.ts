import { createPublicKey, verify } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  buildPairingLink,
  connectStatement,
  decisionStatement,
  fromBase64Url,
  pairStatement,
  randomId,
  toBase64Url,
  type ChallengeMessage,
  type Decision,
} from '../../../protocol/index.ts';
import { DeviceStore } from '../../../testing/device-store.ts';
import { VirtualDevice, type VirtualDeviceOptions } from '../../../testing/virtual-device.ts';

// ---- node:crypto as the relay will verify ----

function verifiesWithNodeCrypto(statement: Uint8Array, signature: string, publicKey: string): boolean {
  const point = fromBase64Url(publicKey);
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: toBase64Url(point.subarray(1, 33)), y: toBase64Url(point.subarray(33, 65)) },
    format: 'jwk',
  });
  return verify('sha256', statement, { key, dsaEncoding: 'ieee-p1363' }, fromBase64Url(signature));
}

// ---- A fake relay: just enough of PROTOCOL.md section 4 to drive the device ----

/** Frames one side received, handed out in order; waits when none is there yet. */
class FrameQueue {
  private readonly frames: unknown[] = [];
  private readonly waiters: Array<(frame: unknown) => void> = [];

  push(frame: unknown): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(frame);
    else this.frames.push(frame);
  }

  next(): Promise<unknown> {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface FakeConnection {
  socket: WebSocket;
  nonce: string;
  received: FrameQueue;
  send(message: Record<string, unknown>): void;
}

class FakeRelay {
  private readonly connections = new FrameQueue();

  private constructor(
    readonly server: WebSocketServer,
    readonly origin: string,
  ) {
    server.on('connection', (socket, request) => {
      expect(request.url).toBe('/api/v1/devices/connect');
      const nonce = randomId();
      const received = new FrameQueue();
      // Binary frames are queued as their bytes, so tests can tell them from text.
      socket.on('message', (data, isBinary) =>
        received.push(isBinary ? { binary: [...(data as Buffer)] } : JSON.parse(String(data))),
      );
      const connection: FakeConnection = { socket, nonce, received, send: (message) => socket.send(JSON.stringify(message)) };
      connection.send({ type: 'hello', nonce, serverTime: Date.now() });
      this.connections.push(connection);
    });
  }

  static async start(): Promise<FakeRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return new FakeRelay(server, `http://127.0.0.1:${port}`);
  }

  nextConnection(): Promise<FakeConnection> {
    return this.connections.next() as Promise<FakeConnection>;
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A fetch that plays the relay's pairing endpoint, recording what the device sent. */
function fakeRedeem(status = 201, body?: unknown) {
  const requests: Array<{ url: string; body: Record<string, string> }> = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const sent = JSON.parse(String(init?.body)) as Record<string, string>;
    requests.push({ url: String(url), body: sent });
    const answer = body ?? {
      deviceId: randomId(),
      account: { userId: randomId(), upn: 'alice@demo.test', displayName: 'Alice Example' },
      relay: { origin: 'ignored', name: 'Countersign' },
    };
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

function aChallenge(deviceId: string, overrides: Partial<ChallengeMessage> = {}): ChallengeMessage {
  const now = Date.now();
  return {
    type: 'challenge',
    requestId: randomId(),
    deviceId,
    account: { upn: 'alice@demo.test', displayName: 'Alice Example' },
    app: { name: 'Countersign Demo' },
    context: { ip: '203.0.113.7', location: 'Amsterdam, NL', browser: 'Firefox', os: 'Linux' },
    match: { mode: 'type', digits: 2 },
    createdAt: now,
    expiresAt: now + 120_000,
    ...overrides,
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRelay(): Promise<FakeRelay> {
  const relay = await FakeRelay.start();
  cleanups.push(() => relay.stop());
  return relay;
}

async function openDevice(options: VirtualDeviceOptions = {}): Promise<VirtualDevice> {
  const device = await VirtualDevice.open({ timeoutMs: 5_000, ...options });
  cleanups.push(() => device.close());
  return device;
}

/** A device paired once with the relay, connected and past `ready`. */
async function connectedDevice(relay: FakeRelay, options: VirtualDeviceOptions = {}) {
  const pairing = fakeRedeem();
  const device = await openDevice({ ...options, fetch: pairing.fetch });
  const account = await device.pair(buildPairingLink({ relayOrigin: relay.origin, token: randomId(), upn: 'alice@demo.test' }));
  const connecting = device.connect(relay.origin);
  const connection = await relay.nextConnection();
  await connection.received.next();
  connection.send({ type: 'ready', accepted: [account.deviceId], rejected: [] });
  await connecting;
  return { device, account, connection };
}

describe('VirtualDevice.pair()', () => {
  it('redeems the link with a fresh key and a pair signature node:crypto verifies', async () => {
    const relayOrigin = 'http://127.0.0.1:8787';
    const token = randomId();
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch, deviceName: 'QA phone' });

    const account = await device.pair(buildPairingLink({ relayOrigin, token, upn: 'alice@demo.test' }));

    const [request] = pairing.requests;
    expect(request?.url).toBe(`${relayOrigin}/api/v1/pairings/redeem`);
    expect(request?.body).toMatchObject({ token, publicKey: account.publicKey, deviceName: 'QA phone' });
    const statement = pairStatement({ relayOrigin, pairingToken: token, publicKey: account.publicKey, deviceName: 'QA phone' });
    expect(verifiesWithNodeCrypto(statement, request!.body.signature!, account.publicKey)).toBe(true);
    expect(device.accounts()).toEqual([account]);
    expect(account).not.toHaveProperty('secretKey');
  });

  it('makes a new key pair for every account', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });
    const link = () => buildPairingLink({ relayOrigin: 'http://127.0.0.1:8787', token: randomId(), upn: 'alice@demo.test' });

    const first = await device.pair(link());
    const second = await device.pair(link());

    expect(first.publicKey).not.toBe(second.publicKey);
  });

  it("throws the relay's error code when the relay refuses the token", async () => {
    const pairing = fakeRedeem(409, { error: { code: 'pairing_used', message: 'already used' } });
    const device = await openDevice({ fetch: pairing.fetch });

    const pairingAgain = device.pair(buildPairingLink({ relayOrigin: 'http://127.0.0.1:8787', token: randomId(), upn: 'a@demo.test' }));

    await expect(pairingAgain).rejects.toMatchObject({ code: 'pairing_used', status: 409 });
    expect(device.accounts()).toEqual([]);
  });

  it('refuses a link that is not a pairing link without calling the relay', async () => {
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });

    await expect(device.pair('http://127.0.0.1:8787/pair#v=2&token=x')).rejects.toMatchObject({ code: 'invalid_link' });
    expect(pairing.requests).toEqual([]);
  });
});

describe('VirtualDevice on a relay socket', () => {
  it('answers hello with one connect signature per account on that relay, each verifying', async () => {
    const relay = await startRelay();
    const pairing = fakeRedeem();
    const device = await openDevice({ fetch: pairing.fetch });
    const link = (relayOrigin: string) => buildPairingLink({ relayOrigin, token: randomId(), upn: 'alice@demo.test' });
    const alice = await device.pair(link(relay.origin));
    const bob = await device.pair(link(relay.origin));
    await device.pair(link('http://127.0.0.1:1'));

    const connecting = device.connect(relay.origin);
    const connection = await relay.nextConnection();
    const auth = (await connection.received.next()) as { type: string; credentials: Array<{ deviceId: string; signature: string }> };

    expect(auth.type).toBe('auth');
    expect(auth.credentials.map((credential) => credential.deviceId)).toEqual([alice.deviceId, bob.deviceId]);
    for (const [index, account] of [alice, bob].entries()) {
      const statement = connectStatement({ relayOrigin: relay.origin, nonce: connection.nonce, deviceId: account.deviceId });
      expect(verifiesWithNodeCrypto(statement, auth.credentials[index]!.signature, account.publicKey)).toBe(true);
    }
    connection.send({ type: 'ready', accepted: [alice.deviceId], rejected: [{ deviceId: bob.deviceId, code: 'device_revoked' }] });
    const [ready] = await connecting;
    expect(ready).toMatchObject({ relayOrigin: relay.origin, accepted: [alice.deviceId] });
  });

  it('rejects connect() when the relay closes with 4401, and waitForClose() gives the code', async () => {
    const relay = await startRelay();
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    await device.pair(buildPairingLink({ relayOrigin: relay.origin, token: randomId(), upn: 'alice@demo.test' }));

    const connecting = device.connect(relay.origin);
    const connection = await relay.nextConnection();
    await connection.received.next();
    connection.socket.close(4401, 'not authenticated');

    await expect(connecting).rejects.toMatchObject({ code: 'closed' });
    await expect(device.waitForClose()).resolves.toMatchObject({ code: 4401, willReconnect: false });
  });

  it('approves a challenge with a signed decision and resolves with its result', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = aChallenge(account.deviceId);

    connection.send(challenge);
    const received = await device.waitForChallenge();
    expect(received).toEqual({ ...challenge, relayOrigin: relay.origin });

    const approving = device.approve(challenge.requestId, '42');
    const decision = (await connection.received.next()) as Record<string, unknown>;
    expect(decision).toMatchObject({
      type: 'decision',
      requestId: challenge.requestId,
      deviceId: account.deviceId,
      decision: 'approve',
      number: '42',
    });
    const statement = decisionStatement({
      relayOrigin: relay.origin,
      requestId: challenge.requestId,
      deviceId: account.deviceId,
      decision: 'approve',
      number: '42',
      signedAt: decision.signedAt as number,
    });
    expect(verifiesWithNodeCrypto(statement, decision.signature as string, account.publicKey)).toBe(true);

    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
    await expect(approving).resolves.toMatchObject({ outcome: 'approved', relayOrigin: relay.origin });
    expect(device.pendingChallenges()).toEqual([]);
  });

  it.each<[Decision, 'deny' | 'report']>([
    ['deny', 'deny'],
    ['report', 'report'],
  ])('signs %s with an empty number', async (decision, call) => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = aChallenge(account.deviceId);
    connection.send(challenge);
    await device.waitForChallenge();

    const deciding = device[call](challenge.requestId);
    const frame = (await connection.received.next()) as Record<string, unknown>;

    expect(frame).toMatchObject({ decision, number: '' });
    const statement = decisionStatement({
      relayOrigin: relay.origin,
      requestId: challenge.requestId,
      deviceId: account.deviceId,
      decision,
      number: '',
      signedAt: frame.signedAt as number,
    });
    expect(verifiesWithNodeCrypto(statement, frame.signature as string, account.publicKey)).toBe(true);
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: decision === 'deny' ? 'denied' : 'reported' });
    await deciding;
  });

  it('stamps signedAt with the injected device clock', async () => {
    const relay = await startRelay();
    const skewed = Date.now() + 90_000;
    const { device, account, connection } = await connectedDevice(relay, { now: () => skewed });
    const challenge = aChallenge(account.deviceId);
    connection.send(challenge);
    await device.waitForChallenge();

    const approving = device.approve(challenge.requestId, '07');
    expect(await connection.received.next()).toMatchObject({ signedAt: skewed });
    connection.send({ type: 'result', requestId: challenge.requestId, outcome: 'rejected', code: 'clock_skew' });
    await expect(approving).resolves.toMatchObject({ outcome: 'rejected', code: 'clock_skew' });
  });

  it('sends overridden fields as they are, for requests it never received', async () => {
    const relay = await startRelay();
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
      signature: forged,
    });

    expect(await connection.received.next()).toEqual({
      type: 'decision',
      requestId: otherRequest,
      deviceId: otherDevice,
      decision: 'approve',
      number: '11',
      signedAt: 5,
      signature: forged,
    });
    connection.send({ type: 'result', requestId: otherRequest, outcome: 'rejected', code: 'bad_signature' });
    await expect(deciding).resolves.toMatchObject({ outcome: 'rejected' });
  });

  it('sends raw text and binary frames untouched', async () => {
    const relay = await startRelay();
    const { device, connection } = await connectedDevice(relay);

    device.sendRaw(relay.origin, '{"type":"decision","requestId":1}');
    device.sendRaw(relay.origin, Buffer.from([1, 2, 3]));

    expect(await connection.received.next()).toEqual({ type: 'decision', requestId: 1 });
    expect(await connection.received.next()).toEqual({ binary: [1, 2, 3] });
  });

  it('answers ping with a pong carrying the same t', async () => {
    const relay = await startRelay();
    const { connection } = await connectedDevice(relay);

    connection.send({ type: 'ping', t: 123_456 });

    expect(await connection.received.next()).toEqual({ type: 'pong', t: 123_456 });
  });

  it('drops a cancelled challenge, and waitForCancel() resolves even after the fact', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = aChallenge(account.deviceId);
    connection.send(challenge);
    await device.waitForChallenge();

    connection.send({ type: 'cancel', requestId: challenge.requestId, reason: 'approved_elsewhere' });
    await once(device, 'cancel');

    await expect(device.waitForCancel(challenge.requestId)).resolves.toMatchObject({ reason: 'approved_elsewhere' });
    expect(device.pendingChallenges()).toEqual([]);
  });

  it('forgets a revoked account, in memory and in the key file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-device-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const keysPath = join(directory, 'keys.json');
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay, { keysPath });
    connection.send(aChallenge(account.deviceId));
    await device.waitForChallenge();

    connection.send({ type: 'revoked', deviceId: account.deviceId });
    const revoked = await device.waitForRevoked(account.deviceId);

    expect(revoked.account).toEqual(account);
    expect(device.accounts()).toEqual([]);
    expect(device.pendingChallenges()).toEqual([]);
    await device.close();
    expect((await DeviceStore.open(keysPath)).list()).toEqual([]);
  });

  it('rejects a waiting decision when the socket closes before the result', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);
    const challenge = aChallenge(account.deviceId);
    connection.send(challenge);
    await device.waitForChallenge();

    const approving = device.approve(challenge.requestId, '42');
    await connection.received.next();
    connection.socket.close(4429, 'rate limited');

    await expect(approving).rejects.toMatchObject({ code: 'closed' });
  });

  it('reports an invalid frame, naming the field, and keeps going', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);

    connection.send({ ...aChallenge(account.deviceId), match: { mode: 'choose', digits: 2 } });
    const [invalid] = await once(device, 'invalidFrame');
    expect(invalid).toMatchObject({ relayOrigin: relay.origin, field: 'match.choices' });

    connection.send({ type: 'ping', t: 1 });
    expect(await connection.received.next()).toEqual({ type: 'pong', t: 1 });
  });

  it('reconnects after a drop when asked to, but not after 4403', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay, { autoReconnect: true });

    connection.socket.close(1012, 'restarting');
    const again = await relay.nextConnection();
    expect(await again.received.next()).toMatchObject({ type: 'auth' });
    again.send({ type: 'ready', accepted: [account.deviceId], rejected: [] });
    await device.connected(relay.origin);

    again.socket.close(4403, 'all credentials revoked');
    await expect(device.waitForClose(relay.origin)).resolves.toMatchObject({ code: 4403, willReconnect: false });
  });

  it('reconnects after pairing another account on a connected relay, so both authenticate', async () => {
    const relay = await startRelay();
    const { device, account, connection } = await connectedDevice(relay);
    const closedByDevice = once(connection.socket, 'close');

    const pairing = device.pair(buildPairingLink({ relayOrigin: relay.origin, token: randomId(), upn: 'bob@demo.test' }));
    expect((await closedByDevice)[0]).toBe(1000);
    const again = await relay.nextConnection();
    const auth = (await again.received.next()) as { credentials: Array<{ deviceId: string }> };
    expect(auth.credentials).toHaveLength(2);
    again.send({ type: 'ready', accepted: auth.credentials.map((credential) => credential.deviceId), rejected: [] });

    const bob = await pairing;
    expect(auth.credentials.map((credential) => credential.deviceId)).toEqual([account.deviceId, bob.deviceId]);
  });

  it('rejects a decision when it is not connected to the relay', async () => {
    const device = await openDevice({ fetch: fakeRedeem().fetch });
    await device.pair(buildPairingLink({ relayOrigin: 'http://127.0.0.1:8787', token: randomId(), upn: 'alice@demo.test' }));

    const approving = device.sendDecision({ requestId: randomId(), decision: 'approve', number: '42', relayOrigin: 'http://127.0.0.1:8787' });

    await expect(approving).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('times out waiting for a challenge that never comes', async () => {
    const relay = await startRelay();
    const { device } = await connectedDevice(relay);

    await expect(device.waitForChallenge(() => true, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout' });
  });
});
