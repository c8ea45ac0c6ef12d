import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  LIMITS,
  REDEEM_PAIRING_PATH,
  buildPairingLink,
  connectStatement,
  decisionStatement,
  deviceActionStatement,
  pairStatement,
  randomId,
  verifyStatementWithNoble,
  type ChallengeMessage,
  type Decision,
} from '../../../protocol/index.ts';
import type { ConnectionState, WebSocketLike } from '../../../protocol/device/index.ts';
import { evaluateBlindedPin, newOprfSecretKey } from '../../../protocol/pin-oprf.ts';
import { challengeTyped } from './examples.ts';

/**
 * The device side of docs/protocol.md (revision 3) as checks on what a device does at its edges: the
 * redeem body it posts, the frames it sends on its socket, how it treats the relay's frames and
 * close codes. Written once, run against every device built on protocol/device: the core itself
 * (tests/unit/protocol/device-core.test.ts), the virtual device (tests/unit/testing/), and the
 * extension once it moves onto the core. An adapter says how to drive the implementation.
 *
 * The core's pure functions (reconnect arithmetic, frame limits, known-answer vectors) are tested
 * once, in device-core.test.ts; this suite checks that a device uses them.
 */

/** How long any wait in the suite lasts before it fails, far below vitest's own limit. */
export const SUITE_WAIT_MS = 5_000;

// ---- Adapter ----

/** The relay's pairing endpoint as the suite plays it: gets the body, returns the answer. */
export type RedeemEndpoint = (url: string, body: Record<string, unknown>) => { status: number; body: unknown };

export interface PairedAccount {
  deviceId: string;
  /** The approval key (as in the redeem body). */
  publicKey: string;
  connectPublicKey: string;
}

export type PairOutcome = { ok: true; account: PairedAccount } | { ok: false; code: string };

/** The relay end of one socket a device opened. */
export interface RelayEnd {
  /** An object goes as JSON text, a string as it is. */
  send(frame: unknown): void;
  /** The next frame the device sent, parsed. */
  next(): Promise<Record<string, unknown>>;
  /** Closes from the relay's side, as the relay does with its close codes. */
  close(code: number, reason?: string): void;
  /** Settles with the code once the device closed this socket. */
  closedByDevice(): Promise<number>;
}

/** A device holding accounts on a fake relay, driven through its own entry points. */
export interface DeviceHarness {
  relayOrigin: string;
  accounts: PairedAccount[];
  /** Asks the device to open its connection (it must not wait for `ready` here). */
  connect(): void;
  /** Resolves once the device counts itself connected (after `ready`); rejects otherwise. */
  connected(): Promise<void>;
  nextSocket(): Promise<RelayEnd>;
  socketsOpened(): number;
  /** The next relay frame the device handed to its account logic (challenge, cancel, result, revoked, notice, error). */
  nextDelivered(): Promise<{ type: string; [field: string]: unknown }>;
  /** The next socket close the device saw. */
  nextClose(): Promise<{ code: number; willReconnect: boolean }>;
  state(): ConnectionState;
  /**
   * Approves a challenge the device received (resolves when the device is done with it). With
   * 'pin' the device first runs the unlock round trip with `pin` (default: the PIN it paired
   * with, FAKE_RELAY_PIN); a wrong PIN rejects with an error whose `code` is `wrong_pin`.
   */
  approve(requestId: string, number: string, unlock: 'pin' | 'webauthn', pin?: string): Promise<unknown>;
  refuse(requestId: string, decision: 'deny' | 'report'): Promise<unknown>;
  /** The accounts changed: authenticate them all again. */
  reauthenticate(): void;
}

export interface DeviceCoreAdapter {
  /** Names the implementation in the test titles. */
  name: string;
  /** The unlocks the device can approve with here; default both. */
  unlocks?: ReadonlyArray<'pin' | 'webauthn'>;
  /** Pairs from `link` as the device does, posting to `redeem`; the device's refusal code when it refuses. */
  pair(link: string, redeem: RedeemEndpoint): Promise<PairOutcome>;
  /**
   * A device with `accounts` accounts on a fresh fake relay at `http://127.0.0.1:…`, reconnecting
   * on its own with zero jitter (`random` → 0). The adapter cleans up after the test.
   */
  device(options: { accounts: number }): Promise<DeviceHarness>;
}

// ---- Parts adapters share ----

/** Items handed out in order; `next()` waits for one, at most `SUITE_WAIT_MS`. */
export class WaitQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  constructor(private readonly what = 'item') {}

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(timeoutMs = SUITE_WAIT_MS): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    return new Promise<T>((resolve, reject) => {
      const waiter = (item: T) => {
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${this.what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  get size(): number {
    return this.items.length;
  }
}

/** One in-memory socket: the device holds it as a WebSocketLike, the suite as a RelayEnd. */
export class MemorySocket implements WebSocketLike {
  readyState = 1;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  private readonly sent = new WaitQueue<Record<string, unknown>>('frame from the device');
  private readonly closedCode = new WaitQueue<number>('close by the device');

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('socket is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedCode.push(code);
    // A browser reports the close later, if anyone still listens.
    queueMicrotask(() => this.onclose?.({ code, reason: '' }));
  }

  readonly relayEnd: RelayEnd = {
    send: (frame) => this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }),
    next: () => this.sent.next(),
    close: (code, reason = '') => {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    },
    closedByDevice: () => this.closedCode.next(),
  };
}

/** Hands the device in-memory sockets (`create` is its `createSocket`) and the suite their relay ends. */
export class MemorySockets {
  readonly opened: MemorySocket[] = [];
  private readonly queue = new WaitQueue<MemorySocket>('socket');

  readonly create = (url: string): WebSocketLike => {
    const socket = new MemorySocket(url);
    this.opened.push(socket);
    this.queue.push(socket);
    return socket;
  };

  async next(): Promise<RelayEnd> {
    return (await this.queue.next()).relayEnd;
  }
}

/** The PIN the suite's devices pair with. */
export const FAKE_RELAY_PIN = '123456';

/**
 * The relay's OPRF keys of section 4a as the fake relays keep them: one per device, made at
 * redeem. Module-wide, so any fake relay end can evaluate for any device a fake redeem made.
 */
export const fakeOprfKeys = new Map<string, Uint8Array>();

/** `unlocked` for an `unlock` frame: the evaluation under the device's key. */
export function unlockedFor(unlock: Record<string, unknown>, attemptsLeft = 10): Record<string, unknown> {
  const key = fakeOprfKeys.get(unlock.deviceId as string);
  if (!key) throw new Error(`no OPRF key for ${String(unlock.deviceId)}`);
  return { type: 'unlocked', deviceId: unlock.deviceId, evaluated: evaluateBlindedPin(key, unlock.blinded as string), attemptsLeft };
}

/** A relay's good answer to a redeem: a new device with an OPRF key that evaluates the body's `pinBlinded`. */
export function redeemed(body: Record<string, unknown>, upn = 'alice@demo.test'): { status: number; body: unknown } {
  const deviceId = randomId();
  const key = newOprfSecretKey();
  fakeOprfKeys.set(deviceId, key);
  return {
    status: 201,
    body: {
      deviceId,
      account: { userId: randomId(), upn, displayName: 'Alice Example' },
      relay: { origin: 'http://127.0.0.1:8787', name: 'Countersign' },
      pinEvaluated: evaluateBlindedPin(key, body.pinBlinded as string),
    },
  };
}

/**
 * Plays the relay's side of one unlock on a socket with `nonce`: reads `unlock`, answers with the
 * evaluation, and returns the `unlock_proof` after checking it is signed by the approval key
 * over this socket's nonce and names the attempt's element.
 */
export async function playUnlock(
  relay: RelayEnd,
  doing: Promise<unknown>,
  input: { relayOrigin: string; nonce: string; account: PairedAccount },
): Promise<Record<string, unknown>> {
  const unlock = await nextFrameOf(relay, doing);
  expect(unlock).toMatchObject({ type: 'unlock', deviceId: input.account.deviceId, blinded: expect.any(String) });
  relay.send(unlockedFor(unlock));
  const proof = await nextFrameOf(relay, doing);
  expect(proof).toMatchObject({ type: 'unlock_proof', deviceId: input.account.deviceId, blinded: unlock.blinded });
  const statement = deviceActionStatement({
    relayOrigin: input.relayOrigin,
    nonce: input.nonce,
    deviceId: input.account.deviceId,
    action: 'unlock-proof',
    detail: unlock.blinded as string,
  });
  expect(verifyStatementWithNoble(statement, proof.signature as string, input.account.publicKey)).toBe(true);
  expect(verifyStatementWithNoble(statement, proof.signature as string, input.account.connectPublicKey)).toBe(false);
  return proof;
}

/** The schema tests' typed-mode challenge, with a fresh request for `deviceId`, made now. */
export function aChallenge(deviceId: string, overrides: Partial<ChallengeMessage> = {}): ChallengeMessage {
  const now = Date.now();
  const challenge = { ...challengeTyped, requestId: randomId(), deviceId, createdAt: now, expiresAt: now + 120_000 } as ChallengeMessage;
  return { ...challenge, ...overrides };
}

/** The next frame the device sends, or the failure of what it was asked to do, whichever comes first. */
export function nextFrameOf(relay: RelayEnd, doing: Promise<unknown>): Promise<Record<string, unknown>> {
  return Promise.race([relay.next(), doing.then(() => new Promise<never>(() => undefined))]);
}

// ---- The suite ----

interface AuthFrame {
  type: string;
  credentials: Array<{ deviceId: string; signature: string }>;
}

export function deviceCoreSuite(adapter: DeviceCoreAdapter): void {
  /** A connected device: socket open, hello answered, ready accepting every account. */
  async function connectedDevice(accounts = 1) {
    const device = await adapter.device({ accounts });
    device.connect();
    const relay = await device.nextSocket();
    const nonce = randomId();
    relay.send({ type: 'hello', nonce, serverTime: Date.now() });
    const auth = (await relay.next()) as unknown as AuthFrame;
    relay.send({ type: 'ready', accepted: auth.credentials.map((credential) => credential.deviceId), rejected: [] });
    await device.connected();
    return { device, relay, nonce };
  }

  /** Sends a challenge and waits until the device has it. */
  async function challenged(device: DeviceHarness, relay: RelayEnd, deviceId = device.accounts[0]!.deviceId) {
    const challenge = aChallenge(deviceId);
    relay.send(challenge);
    expect(await device.nextDelivered()).toMatchObject({ type: 'challenge', requestId: challenge.requestId });
    return challenge;
  }

  describe(`${adapter.name}: pairing (section 3)`, () => {
    function recordingRedeem(answer?: { status: number; body: unknown }) {
      const requests: Array<{ url: string; body: Record<string, unknown> }> = [];
      const redeem: RedeemEndpoint = (url, body) => {
        requests.push({ url, body });
        return answer ?? redeemed(body);
      };
      return { redeem, requests };
    }
    const link = (relayOrigin: string) => buildPairingLink({ relayOrigin, token: randomId(), upn: 'alice@demo.test' });

    it.each([
      'https://id.example.com',
      'https://id.example.com:8443',
      'http://127.0.0.1:8787',
      'http://[::1]:8787',
      'http://localhost:8787',
    ])('pairs with %s', async (relayOrigin) => {
      const { redeem, requests } = recordingRedeem();
      const outcome = await adapter.pair(link(relayOrigin), redeem);
      expect(outcome.ok).toBe(true);
      expect(requests.map((request) => request.url)).toEqual([`${relayOrigin}${REDEEM_PAIRING_PATH}`]);
    });

    it.each(['http://example.com', 'http://127.0.0.1.evil.com', 'http://10.0.0.1:8787', 'http://localhost.example.com'])(
      'refuses an http relay off loopback (%s) without calling it',
      async (relayOrigin) => {
        const { redeem, requests } = recordingRedeem();
        expect(await adapter.pair(link(relayOrigin), redeem)).toEqual({ ok: false, code: 'insecure_relay' });
        expect(requests).toEqual([]);
      },
    );

    it('refuses a link that is not a version 1 pairing link', async () => {
      const { redeem, requests } = recordingRedeem();
      expect(await adapter.pair('http://127.0.0.1:8787/pair#v=2&token=x', redeem)).toEqual({ ok: false, code: 'invalid_link' });
      expect(requests).toEqual([]);
    });

    it('posts two different keys and a pair statement signed by the approval key, not the connect key', async () => {
      const relayOrigin = 'http://127.0.0.1:8787';
      const token = randomId();
      const { redeem, requests } = recordingRedeem();
      const outcome = await adapter.pair(buildPairingLink({ relayOrigin, token, upn: 'alice@demo.test' }), redeem);

      const body = requests[0]!.body as {
        token: string;
        publicKey: string;
        connectPublicKey: string;
        deviceName: string;
        pinBlinded: string;
        signature: string;
      };
      expect(body.token).toBe(token);
      // Section 4a: a serialized P-256 element (33 bytes compressed), never the PIN itself.
      expect(body.pinBlinded).toMatch(/^[A-Za-z0-9_-]{44}$/);
      expect(JSON.stringify(body)).not.toContain(FAKE_RELAY_PIN);
      expect(body.publicKey).not.toBe(body.connectPublicKey);
      expect(outcome).toMatchObject({ ok: true, account: { publicKey: body.publicKey, connectPublicKey: body.connectPublicKey } });
      const statement = pairStatement({
        relayOrigin,
        pairingToken: token,
        publicKey: body.publicKey,
        connectPublicKey: body.connectPublicKey,
        deviceName: body.deviceName,
      });
      expect(verifyStatementWithNoble(statement, body.signature, body.publicKey)).toBe(true);
      expect(verifyStatementWithNoble(statement, body.signature, body.connectPublicKey)).toBe(false);
    });

    it('makes fresh keys and a fresh blind for every account', async () => {
      const { redeem, requests } = recordingRedeem();
      await adapter.pair(link('http://127.0.0.1:8787'), redeem);
      await adapter.pair(link('http://127.0.0.1:8787'), redeem);
      const keys = requests.flatMap((request) => [request.body.publicKey, request.body.connectPublicKey]);
      expect(new Set(keys).size).toBe(4);
      expect(requests[0]!.body.pinBlinded).not.toBe(requests[1]!.body.pinBlinded);
    });

    it("gives the relay's error code when the relay refuses the token", async () => {
      const { redeem } = recordingRedeem({ status: 409, body: { error: { code: 'pairing_used', message: 'already used' } } });
      expect(await adapter.pair(link('http://127.0.0.1:8787'), redeem)).toEqual({ ok: false, code: 'pairing_used' });
    });

    it('refuses an answer that is not a redeem answer', async () => {
      const { redeem } = recordingRedeem({ status: 201, body: { deviceId: 'short' } });
      expect(await adapter.pair(link('http://127.0.0.1:8787'), redeem)).toMatchObject({ ok: false });
    });
  });

  describe(`${adapter.name}: connection (section 4)`, () => {
    it('answers hello with one connect signature per account, by its connect key and not its approval key', async () => {
      const device = await adapter.device({ accounts: 2 });
      device.connect();
      const relay = await device.nextSocket();
      const nonce = randomId();
      relay.send({ type: 'hello', nonce, serverTime: Date.now() });
      const auth = (await relay.next()) as unknown as AuthFrame;

      expect(auth.type).toBe('auth');
      expect(auth.credentials.map((credential) => credential.deviceId).sort()).toEqual(
        device.accounts.map((account) => account.deviceId).sort(),
      );
      for (const credential of auth.credentials) {
        const account = device.accounts.find((candidate) => candidate.deviceId === credential.deviceId)!;
        const statement = connectStatement({ relayOrigin: device.relayOrigin, nonce, deviceId: credential.deviceId });
        expect(verifyStatementWithNoble(statement, credential.signature, account.connectPublicKey)).toBe(true);
        expect(verifyStatementWithNoble(statement, credential.signature, account.publicKey)).toBe(false);
      }
    });

    it(`sends at most ${LIMITS.maxCredentialsPerSocket} credentials, each deviceId once`, async () => {
      const device = await adapter.device({ accounts: LIMITS.maxCredentialsPerSocket + 1 });
      device.connect();
      const relay = await device.nextSocket();
      relay.send({ type: 'hello', nonce: randomId(), serverTime: Date.now() });
      const auth = (await relay.next()) as unknown as AuthFrame;

      expect(auth.credentials).toHaveLength(LIMITS.maxCredentialsPerSocket);
      expect(new Set(auth.credentials.map((credential) => credential.deviceId)).size).toBe(LIMITS.maxCredentialsPerSocket);
    });

    it('counts itself connected after a ready that accepts an account', async () => {
      const { device } = await connectedDevice();
      expect(device.state()).toBe('connected');
    });

    it('answers ping with a pong carrying the same t', async () => {
      const { relay } = await connectedDevice();
      relay.send({ type: 'ping', t: 123_456 });
      expect(await relay.next()).toEqual({ type: 'pong', t: 123_456 });
    });

    it('ignores a frame of a type it does not know, and drops an invalid one, and keeps going', async () => {
      const { device, relay } = await connectedDevice();
      const deviceId = device.accounts[0]!.deviceId;
      relay.send({ type: 'future_feature', deviceId, anything: [1, 2, 3] });
      relay.send({ ...aChallenge(deviceId), match: { mode: 'choose', digits: 2 } });
      const notice = { type: 'notice', deviceId, kind: 'authenticator_added', name: 'Work laptop', at: Date.now() };
      relay.send(notice);

      expect(await device.nextDelivered()).toEqual(notice);
      relay.send({ type: 'ping', t: 7 });
      expect(await relay.next()).toEqual({ type: 'pong', t: 7 });
      expect(device.state()).toBe('connected');
    });

    it('hands challenge, cancel, result, revoked and notice frames on in order', async () => {
      const { device, relay } = await connectedDevice(2);
      const [first, second] = device.accounts as [PairedAccount, PairedAccount];
      const challenge = aChallenge(first.deviceId);
      const frames = [
        challenge,
        { type: 'cancel', requestId: challenge.requestId, reason: 'approved_elsewhere' },
        { type: 'result', requestId: randomId(), outcome: 'expired' },
        { type: 'notice', deviceId: first.deviceId, kind: 'authenticator_removed', name: 'Old phone', at: 5 },
        { type: 'revoked', deviceId: second.deviceId },
      ];
      for (const frame of frames) relay.send(frame);
      for (const frame of frames) expect(await device.nextDelivered()).toEqual(frame);
    });

    it.each(adapter.unlocks ?? (['pin', 'webauthn'] as const))('approves with the approval key and unlock %s', async (unlock) => {
      const { device, relay, nonce } = await connectedDevice();
      const account = device.accounts[0]!;
      const challenge = await challenged(device, relay);

      const approving = device.approve(challenge.requestId, '42', unlock);
      // Section 4a: a PIN approval first unlocks with the relay and proves it; a WebAuthn one does not.
      if (unlock === 'pin') await playUnlock(relay, approving, { relayOrigin: device.relayOrigin, nonce, account });
      const frame = await nextFrameOf(relay, approving);
      expect(frame).toMatchObject({
        type: 'decision',
        requestId: challenge.requestId,
        deviceId: account.deviceId,
        decision: 'approve',
        number: '42',
        unlock,
      });
      const statement = decisionStatement({
        relayOrigin: device.relayOrigin,
        requestId: challenge.requestId,
        deviceId: account.deviceId,
        decision: 'approve',
        number: '42',
        signedAt: frame.signedAt as number,
        unlock,
      });
      expect(verifyStatementWithNoble(statement, frame.signature as string, account.publicKey)).toBe(true);
      expect(verifyStatementWithNoble(statement, frame.signature as string, account.connectPublicKey)).toBe(false);
      relay.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
      await approving;
    });

    it('unlocks afresh for every PIN approval, with a new blinded element each time', async () => {
      const { device, relay, nonce } = await connectedDevice();
      const account = device.accounts[0]!;
      const blinded: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        const challenge = await challenged(device, relay);
        const approving = device.approve(challenge.requestId, '42', 'pin');
        blinded.push((await playUnlock(relay, approving, { relayOrigin: device.relayOrigin, nonce, account })).blinded);
        expect(await nextFrameOf(relay, approving)).toMatchObject({ type: 'decision', requestId: challenge.requestId });
        relay.send({ type: 'result', requestId: challenge.requestId, outcome: 'approved' });
        await approving;
        expect(await device.nextDelivered()).toMatchObject({ type: 'result', requestId: challenge.requestId });
      }
      expect(blinded[0]).not.toBe(blinded[1]);
    });

    it('sends neither a proof nor a decision after a wrong PIN, and says wrong_pin', async () => {
      const { device, relay } = await connectedDevice();
      const account = device.accounts[0]!;
      const challenge = await challenged(device, relay);

      const approving = device.approve(challenge.requestId, '42', 'pin', '000000');
      const unlock = await nextFrameOf(relay, approving);
      expect(unlock).toMatchObject({ type: 'unlock', deviceId: account.deviceId });
      relay.send(unlockedFor(unlock, 9));

      await expect(approving).rejects.toMatchObject({ code: 'wrong_pin' });
      // The next frame is the pong to this ping: nothing went out in between.
      relay.send({ type: 'ping', t: 5 });
      expect(await relay.next()).toEqual({ type: 'pong', t: 5 });
    });

    it('sends no decision when the relay refuses the evaluation with pin_locked', async () => {
      const { device, relay } = await connectedDevice();
      const account = device.accounts[0]!;
      const challenge = await challenged(device, relay);

      const approving = device.approve(challenge.requestId, '42', 'pin');
      await nextFrameOf(relay, approving);
      relay.send({ type: 'error', code: 'pin_locked', message: 'locked', deviceId: account.deviceId });

      await expect(approving).rejects.toMatchObject({ code: 'pin_locked' });
      relay.send({ type: 'ping', t: 6 });
      expect(await relay.next()).toEqual({ type: 'pong', t: 6 });
    });

    it.each<['deny' | 'report', string]>([
      ['deny', 'denied'],
      ['report', 'reported'],
    ])('signs %s with the connect key, unlock none and no number', async (decision, outcome) => {
      const { device, relay } = await connectedDevice();
      const account = device.accounts[0]!;
      const challenge = await challenged(device, relay);

      const refusing = device.refuse(challenge.requestId, decision);
      const frame = await nextFrameOf(relay, refusing);
      expect(frame).toMatchObject({ type: 'decision', decision, number: '', unlock: 'none', deviceId: account.deviceId });
      const statement = decisionStatement({
        relayOrigin: device.relayOrigin,
        requestId: challenge.requestId,
        deviceId: account.deviceId,
        decision: decision satisfies Decision,
        number: '',
        signedAt: frame.signedAt as number,
        unlock: 'none',
      });
      expect(verifyStatementWithNoble(statement, frame.signature as string, account.connectPublicKey)).toBe(true);
      expect(verifyStatementWithNoble(statement, frame.signature as string, account.publicKey)).toBe(false);
      relay.send({ type: 'result', requestId: challenge.requestId, outcome });
      await refusing;
    });

    it.each([CLOSE_CODES.notAuthenticated, CLOSE_CODES.allRevoked])('stays closed after %i, without a reconnect', async (code) => {
      const { device, relay } = await connectedDevice();
      const opened = device.socketsOpened();

      relay.close(code, 'no');

      expect(await device.nextClose()).toMatchObject({ code, willReconnect: false });
      expect(device.state()).toBe('error');
      expect(device.socketsOpened()).toBe(opened);
    });

    it('comes back within 3 s after 1012 and authenticates again', async () => {
      const { device, relay } = await connectedDevice();
      const started = performance.now();

      relay.close(CLOSE_CODES.serviceRestart, 'restarting');
      expect(await device.nextClose()).toMatchObject({ code: CLOSE_CODES.serviceRestart, willReconnect: true });
      expect(device.state()).toBe('reconnecting');
      const again = await device.nextSocket();
      expect(performance.now() - started).toBeLessThan(3_000);
      again.send({ type: 'hello', nonce: randomId(), serverTime: Date.now() });
      const auth = (await again.next()) as unknown as AuthFrame;
      expect(auth).toMatchObject({ type: 'auth', credentials: [{ deviceId: device.accounts[0]!.deviceId }] });
      again.send({ type: 'ready', accepted: [device.accounts[0]!.deviceId], rejected: [] });
      await device.connected();
    });

    it('reauthenticates on a new socket, closing the old one with 1000', async () => {
      const { device, relay } = await connectedDevice(2);
      const opened = device.socketsOpened();

      device.reauthenticate();

      expect(await relay.closedByDevice()).toBe(1000);
      const again = await device.nextSocket();
      expect(device.socketsOpened()).toBe(opened + 1);
      again.send({ type: 'hello', nonce: randomId(), serverTime: Date.now() });
      expect(((await again.next()) as unknown as AuthFrame).credentials).toHaveLength(2);
    });
  });
}
