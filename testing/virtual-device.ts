import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import {
  RedeemPairingResponse,
  RelayToDeviceMessage,
  connectStatement,
  decisionStatement,
  fromBase64Url,
  generateDeviceKeyPair,
  normalizeOrigin,
  pairStatement,
  parse,
  parsePairingLink,
  signStatement,
  toBase64Url,
  type CancelMessage,
  type ChallengeMessage,
  type Decision,
  type DecisionMessage,
  type DeviceToRelayMessage,
  type ErrorMessage,
  type ReadyMessage,
  type ResultMessage,
  type RevokedMessage,
} from '../protocol/index.ts';
import { RelayHttpError, relayHttpErrorFrom } from './admin-client.ts';
import { DeviceStore, type AccountInfo, type DeviceAccount } from './device-store.ts';

/**
 * A headless device that speaks PROTOCOL.md exactly as the extension does: pairs from a link,
 * keeps one WebSocket per relay, answers challenges with signed decisions. QA and the
 * integration tests drive it; its low-level calls (`sendDecision` overrides, `sendRaw`) let
 * them play a misbehaving device too.
 */

export { DEVICE_CONNECT_PATH, REDEEM_PAIRING_PATH } from '../protocol/paths.ts';
import { DEVICE_CONNECT_PATH, REDEEM_PAIRING_PATH } from '../protocol/paths.ts';

/** Every message from a relay comes tagged with the relay it came from. */
export type FromRelay<T> = T & { relayOrigin: string };
export type ReceivedChallenge = FromRelay<ChallengeMessage>;

export interface CloseInfo {
  relayOrigin: string;
  code: number;
  reason: string;
  /** The socket error that preceded the close, such as a refused connection. */
  error?: string;
  willReconnect: boolean;
}

export interface InvalidFrame {
  relayOrigin: string;
  field: string;
  message: string;
}

/** Each event has one argument, so `once(device, 'challenge')` and the waiters stay simple. */
export interface VirtualDeviceEvents {
  /** Any text frame that parsed as JSON, before it is validated or handled. */
  frame: [FromRelay<{ data: unknown }>];
  ready: [FromRelay<ReadyMessage>];
  challenge: [ReceivedChallenge];
  cancel: [FromRelay<CancelMessage>];
  result: [FromRelay<ResultMessage>];
  /** `account` is what the device forgot, or undefined when it held no such device. */
  revoked: [FromRelay<RevokedMessage> & { account: AccountInfo | undefined }];
  /** An `error` frame from the relay (not named `error`: EventEmitter throws unheard errors). */
  relayError: [FromRelay<ErrorMessage>];
  invalidFrame: [InvalidFrame];
  close: [CloseInfo];
  /** Writing the key file failed after a revocation. */
  storeError: [Error];
}
type EventName = keyof VirtualDeviceEvents;
type EventPayload<K extends EventName> = VirtualDeviceEvents[K][0];

export interface VirtualDeviceOptions {
  /** Key file to load and keep up to date; omitted, the device lives in memory. */
  keysPath?: string;
  /** An already opened store (wins over `keysPath`). */
  store?: DeviceStore;
  /** Sent when pairing; default "Virtual device". */
  deviceName?: string;
  /** The device clock for `signedAt`; tests pass a skewed one. */
  now?: () => number;
  /** Reconnect with jittered backoff after a drop (never after 4401 or 4403). Default false. */
  autoReconnect?: boolean;
  /** Default limit for every wait and for a decision's result. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WaitOptions {
  timeoutMs?: number;
}

/** A decision with every field open to override, for tests of a misbehaving device. */
export interface DecisionInput extends WaitOptions {
  requestId: string;
  decision: Decision;
  /** Empty for deny and report. */
  number?: string;
  /** Defaults to the relay the challenge came from, or the only connected relay. */
  relayOrigin?: string;
  /** Put in the frame and the statement; signed with this device's key when it holds it. */
  deviceId?: string;
  /** Defaults to `now()`. */
  signedAt?: number;
  /** Sent as it is instead of a real signature. */
  signature?: string;
}

/** A failure of the device itself; `code` is stable (`timeout`, `closed`, `not_connected`, …). */
export class VirtualDeviceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VirtualDeviceError';
  }
}

/** One relay: its socket (at most one), and whether the device wants it open. */
interface RelayLink {
  readonly origin: string;
  socket: WebSocket | null;
  ready: FromRelay<ReadyMessage> | null;
  lastClose: CloseInfo | null;
  lastSocketError: string | undefined;
  keepOpen: boolean;
  reconnectAttempts: number;
  reconnectTimer: NodeJS.Timeout | null;
}

const NORMAL_CLOSE = 1000;
/** The relay refused every credential or revoked them all: reconnecting would only repeat it. */
const FINAL_CLOSE_CODES = new Set([4401, 4403]);
const MAX_REMEMBERED_EVENTS = 1000;

export class VirtualDevice extends EventEmitter<VirtualDeviceEvents> {
  private readonly links = new Map<string, RelayLink>();
  private readonly pending = new Map<string, ReceivedChallenge>();
  /** Remembered so `waitForCancel` works when the cancel came before the wait. */
  private readonly cancels = new Map<string, FromRelay<CancelMessage>>();
  /** Likewise for `waitForRevoked`: the relay revokes before the admin call returns. */
  private readonly revocations = new Map<string, EventPayload<'revoked'>>();
  private readonly storeWrites = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly deviceName: string;
  private readonly autoReconnect: boolean;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  private constructor(
    private readonly store: DeviceStore,
    options: VirtualDeviceOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.deviceName = options.deviceName ?? 'Virtual device';
    this.autoReconnect = options.autoReconnect ?? false;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** @example const device = await VirtualDevice.open({ keysPath: 'data/virtual-device.json' }) */
  static async open(options: VirtualDeviceOptions = {}): Promise<VirtualDevice> {
    const store = options.store ?? (await DeviceStore.open(options.keysPath));
    return new VirtualDevice(store, options);
  }

  // ---- Accounts ----

  accounts(relayOrigin?: string): AccountInfo[] {
    return this.store
      .list()
      .filter((account) => relayOrigin === undefined || account.relayOrigin === relayOrigin)
      .map(({ secretKey: _secret, ...info }) => info);
  }

  relayOrigins(): string[] {
    return [...new Set(this.store.list().map((account) => account.relayOrigin))];
  }

  /**
   * Redeems a pairing link with a fresh key pair and keeps the account. Throws `RelayHttpError`
   * with the relay's code (`pairing_used`, `pairing_expired`, …) when the relay refuses. When
   * the device is connected to that relay it reconnects, so the new account is authenticated.
   */
  async pair(link: string, options: { deviceName?: string } = {}): Promise<AccountInfo> {
    const offer = parsePairingLink(link.trim());
    if (!offer) throw new VirtualDeviceError('invalid_link', 'not a Countersign pairing link');
    const keys = generateDeviceKeyPair();
    const deviceName = options.deviceName ?? this.deviceName;
    const signature = signStatement(
      pairStatement({ relayOrigin: offer.relayOrigin, pairingToken: offer.token, publicKey: keys.publicKey, deviceName }),
      keys.secretKey,
    );
    const response = await this.fetch(`${offer.relayOrigin}${REDEEM_PAIRING_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: offer.token, publicKey: keys.publicKey, deviceName, signature }),
    });
    if (response.status !== 201) throw await relayHttpErrorFrom(response, 'pairing');
    const redeemed = parse(RedeemPairingResponse, await response.json());
    if (!redeemed.ok) throw new RelayHttpError('invalid_response', response.status, `pairing: ${redeemed.message}`);
    const account: DeviceAccount = {
      relayOrigin: offer.relayOrigin,
      upn: redeemed.value.account.upn,
      displayName: redeemed.value.account.displayName,
      deviceId: redeemed.value.deviceId,
      publicKey: keys.publicKey,
      secretKey: toBase64Url(keys.secretKey),
    };
    await this.store.add(account);
    const relayLink = this.links.get(offer.relayOrigin);
    if (relayLink?.keepOpen && relayLink.socket) await this.reconnect(offer.relayOrigin);
    const { secretKey: _secret, ...info } = account;
    return info;
  }

  // ---- Connections ----

  /**
   * Opens the socket of one relay, or of every relay the device holds accounts on, and resolves
   * when each has sent `ready`. Rejects when a relay closes first (4401: no credential accepted).
   */
  async connect(relayOrigin?: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>[]> {
    const origins = relayOrigin === undefined ? this.relayOrigins() : [this.checkedOrigin(relayOrigin)];
    if (origins.length === 0) throw new VirtualDeviceError('no_accounts', 'the device holds no accounts; pair it first');
    for (const origin of origins) {
      if (this.accounts(origin).length === 0) {
        throw new VirtualDeviceError('no_accounts', `the device holds no account on ${origin}`);
      }
      const link = this.linkFor(origin);
      link.keepOpen = true;
      if (!link.socket) this.openSocket(link);
    }
    return Promise.all(origins.map((origin) => this.connected(origin, options)));
  }

  /** Resolves with the `ready` of the current socket, at once if it came already. */
  async connected(relayOrigin: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>> {
    const origin = this.checkedOrigin(relayOrigin);
    const current = this.links.get(origin)?.ready;
    if (current) return current;
    return this.waitUntil(`ready from ${origin}`, options, (resolve, reject) => [
      this.subscribe('ready', (ready) => {
        if (ready.relayOrigin === origin) resolve(ready);
      }),
      this.subscribe('close', (closed) => {
        if (closed.relayOrigin === origin && !closed.willReconnect) reject(closedError(closed));
      }),
    ]);
  }

  /** Drops the socket of one relay and opens a new one (for instance to authenticate a new account). */
  async reconnect(relayOrigin: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>> {
    const origin = this.checkedOrigin(relayOrigin);
    const link = this.linkFor(origin);
    if (link.socket) await this.closeSocket(link, 'reconnecting');
    link.keepOpen = true;
    this.openSocket(link);
    return this.connected(origin, options);
  }

  /** Closes every socket with 1000, stops reconnecting, and waits for key file writes. */
  async close(): Promise<void> {
    const closing = [...this.links.values()].map((link) => {
      link.keepOpen = false;
      if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
      link.reconnectTimer = null;
      return link.socket ? this.closeSocket(link, 'device closing') : Promise.resolve();
    });
    await Promise.all(closing);
    await Promise.allSettled([...this.storeWrites]);
  }

  /**
   * The close of a relay's socket: the last one when it is closed now, else the next one.
   * `relayOrigin` may be left out when the device has talked to one relay only.
   */
  async waitForClose(relayOrigin?: string, options: WaitOptions = {}): Promise<CloseInfo> {
    const origin = relayOrigin === undefined ? this.onlyLinkOrigin() : this.checkedOrigin(relayOrigin);
    const link = this.links.get(origin);
    if (link && !link.socket && link.lastClose) return link.lastClose;
    return this.waitUntil(`close of ${origin}`, options, (resolve) => [
      this.subscribe('close', (closed) => {
        if (closed.relayOrigin === origin) resolve(closed);
      }),
    ]);
  }

  // ---- Challenges ----

  /** Challenges not yet decided, cancelled or answered, oldest first. */
  pendingChallenges(): ReceivedChallenge[] {
    return [...this.pending.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The oldest pending challenge that matches, or else the next one that arrives and matches. */
  waitForChallenge(
    predicate: (challenge: ReceivedChallenge) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<ReceivedChallenge> {
    const waiting = this.pendingChallenges().find(predicate);
    if (waiting) return Promise.resolve(waiting);
    return this.waitUntil('a challenge', options, (resolve) => [
      this.subscribe('challenge', (challenge) => {
        if (predicate(challenge)) resolve(challenge);
      }),
    ]);
  }

  waitForCancel(requestId: string, options: WaitOptions = {}): Promise<FromRelay<CancelMessage>> {
    const seen = this.cancels.get(requestId);
    if (seen) return Promise.resolve(seen);
    return this.waitUntil(`cancel of ${requestId}`, options, (resolve) => [
      this.subscribe('cancel', (cancel) => {
        if (cancel.requestId === requestId) resolve(cancel);
      }),
    ]);
  }

  /** The revocation of `deviceId` (at once if it came already), or with no id the next one. */
  waitForRevoked(deviceId?: string, options: WaitOptions = {}): Promise<EventPayload<'revoked'>> {
    const seen = deviceId === undefined ? undefined : this.revocations.get(deviceId);
    if (seen) return Promise.resolve(seen);
    return this.waitUntil(`revocation${deviceId ? ` of ${deviceId}` : ''}`, options, (resolve) => [
      this.subscribe('revoked', (revoked) => {
        if (deviceId === undefined || revoked.deviceId === deviceId) resolve(revoked);
      }),
    ]);
  }

  /** Resolves with the relay's `result` (which may well be `wrong_number` or `rejected`). */
  approve(requestId: string, number: string, options: WaitOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'approve', number });
  }

  deny(requestId: string, options: WaitOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'deny' });
  }

  report(requestId: string, options: WaitOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'report' });
  }

  /**
   * Signs and sends a `decision`, then resolves with the relay's `result` for that request.
   * Rejects with `timeout` when none comes, or `closed` when the socket closes first.
   */
  async sendDecision(input: DecisionInput): Promise<FromRelay<ResultMessage>> {
    const challenge = this.pending.get(input.requestId);
    const origin =
      input.relayOrigin !== undefined
        ? this.checkedOrigin(input.relayOrigin)
        : (challenge?.relayOrigin ?? this.onlyReadyOrigin());
    const signer = this.signerFor(origin, input.deviceId ?? challenge?.deviceId);
    const deviceId = input.deviceId ?? signer.deviceId;
    const number = input.number ?? '';
    const signedAt = input.signedAt ?? this.now();
    const signature =
      input.signature ??
      signStatement(
        decisionStatement({ relayOrigin: origin, requestId: input.requestId, deviceId, decision: input.decision, number, signedAt }),
        fromBase64Url(signer.secretKey),
      );
    const frame: DecisionMessage = {
      type: 'decision',
      requestId: input.requestId,
      deviceId,
      decision: input.decision,
      number,
      signedAt,
      signature,
    };
    const socket = this.readySocket(origin);
    // Listen before sending: a fast relay may answer before `send` returns to us.
    const result = this.waitUntil<FromRelay<ResultMessage>>(`result of ${input.requestId}`, input, (resolve, reject) => [
      this.subscribe('result', (answer) => {
        if (answer.relayOrigin === origin && answer.requestId === input.requestId) resolve(answer);
      }),
      this.subscribe('close', (closed) => {
        if (closed.relayOrigin === origin) reject(closedError(closed));
      }),
    ]);
    sendMessage(socket, frame);
    return result;
  }

  /** Sends bytes as they are: a string as a text frame, a Buffer as a binary frame. */
  sendRaw(relayOrigin: string, data: string | Buffer): void {
    const origin = this.checkedOrigin(relayOrigin);
    const socket = this.links.get(origin)?.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      throw new VirtualDeviceError('not_connected', `no open socket to ${origin}`);
    }
    socket.send(data, { binary: typeof data !== 'string' });
  }

  // ---- Socket life ----

  private linkFor(origin: string): RelayLink {
    let link = this.links.get(origin);
    if (!link) {
      link = {
        origin,
        socket: null,
        ready: null,
        lastClose: null,
        lastSocketError: undefined,
        keepOpen: false,
        reconnectAttempts: 0,
        reconnectTimer: null,
      };
      this.links.set(origin, link);
    }
    return link;
  }

  private openSocket(link: RelayLink): void {
    const url = new URL(DEVICE_CONNECT_PATH, link.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    link.socket = socket;
    link.ready = null;
    link.lastSocketError = undefined;
    socket.on('message', (data, isBinary) => {
      if (link.socket === socket) this.receive(link, socket, data, isBinary);
    });
    socket.on('error', (error) => {
      // ws closes the socket right after; the close handler reports it.
      if (link.socket === socket) link.lastSocketError = error.message;
    });
    socket.on('close', (code, reason) => {
      if (link.socket === socket) this.socketClosed(link, code, reason.toString('utf8'));
    });
  }

  private closeSocket(link: RelayLink, reason: string): Promise<void> {
    const socket = link.socket;
    if (!socket) return Promise.resolve();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    link.keepOpen = false;
    socket.close(NORMAL_CLOSE, reason);
    return closed;
  }

  private socketClosed(link: RelayLink, code: number, reason: string): void {
    link.socket = null;
    link.ready = null;
    if (FINAL_CLOSE_CODES.has(code)) link.keepOpen = false;
    // The relay sends every still-pending challenge again after the next `ready`.
    for (const [requestId, challenge] of this.pending) {
      if (challenge.relayOrigin === link.origin) this.pending.delete(requestId);
    }
    const willReconnect = link.keepOpen && this.autoReconnect && this.accounts(link.origin).length > 0;
    const info: CloseInfo = { relayOrigin: link.origin, code, reason, willReconnect };
    if (link.lastSocketError !== undefined) info.error = link.lastSocketError;
    link.lastClose = info;
    this.emit('close', info);
    if (willReconnect) this.scheduleReconnect(link);
  }

  /** Exponential backoff from 250 ms to 30 s, with jitter so many devices do not return at once. */
  private scheduleReconnect(link: RelayLink): void {
    const ceiling = Math.min(30_000, 250 * 2 ** link.reconnectAttempts);
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    link.reconnectAttempts += 1;
    link.reconnectTimer = setTimeout(() => {
      link.reconnectTimer = null;
      if (link.keepOpen && !link.socket) this.openSocket(link);
    }, delay);
  }

  // ---- Frames ----

  private receive(link: RelayLink, socket: WebSocket, data: RawData, isBinary: boolean): void {
    const relayOrigin = link.origin;
    if (isBinary) {
      this.emit('invalidFrame', { relayOrigin, field: 'frame', message: 'binary frame' });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      this.emit('invalidFrame', { relayOrigin, field: 'frame', message: 'not JSON' });
      return;
    }
    this.emit('frame', { relayOrigin, data: json });
    const parsed = parse(RelayToDeviceMessage, json);
    if (!parsed.ok) {
      this.emit('invalidFrame', { relayOrigin, field: parsed.field, message: parsed.message });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'hello':
        this.answerHello(link, socket, message.nonce);
        return;
      case 'ready':
        link.ready = { ...message, relayOrigin };
        link.reconnectAttempts = 0;
        this.emit('ready', link.ready);
        return;
      case 'challenge': {
        const challenge = { ...message, relayOrigin };
        this.pending.set(message.requestId, challenge);
        this.emit('challenge', challenge);
        return;
      }
      case 'cancel': {
        const cancel = { ...message, relayOrigin };
        this.pending.delete(message.requestId);
        remember(this.cancels, cancel.requestId, cancel);
        this.emit('cancel', cancel);
        return;
      }
      case 'result':
        this.pending.delete(message.requestId);
        this.emit('result', { ...message, relayOrigin });
        return;
      case 'revoked':
        this.forget(relayOrigin, message);
        return;
      case 'ping':
        sendMessage(socket, { type: 'pong', t: message.t });
        return;
      case 'error':
        this.emit('relayError', { ...message, relayOrigin });
        return;
    }
  }

  /** One credential per account on this relay, each signing the connect statement with the nonce. */
  private answerHello(link: RelayLink, socket: WebSocket, nonce: string): void {
    const accounts = this.store.list().filter((account) => account.relayOrigin === link.origin);
    if (accounts.length === 0) {
      // Nothing to authenticate (every account was revoked meanwhile): an empty auth is invalid.
      void this.closeSocket(link, 'no accounts');
      return;
    }
    const credentials = accounts.map((account) => ({
      deviceId: account.deviceId,
      signature: signStatement(
        connectStatement({ relayOrigin: link.origin, nonce, deviceId: account.deviceId }),
        fromBase64Url(account.secretKey),
      ),
    }));
    sendMessage(socket, { type: 'auth', credentials });
  }

  private forget(relayOrigin: string, message: RevokedMessage): void {
    const held = this.store.find(message.deviceId);
    const account = held && held.relayOrigin === relayOrigin ? held : undefined;
    for (const [requestId, challenge] of this.pending) {
      if (challenge.deviceId === message.deviceId) this.pending.delete(requestId);
    }
    if (account) {
      // The store drops the account at once; the file write finishes in the background.
      const write = this.store.remove(account.deviceId).catch((error: unknown) => {
        this.emit('storeError', error instanceof Error ? error : new Error(String(error)));
      });
      this.storeWrites.add(write);
      void write.finally(() => this.storeWrites.delete(write));
    }
    const info = account ? (({ secretKey: _secret, ...rest }) => rest)(account) : undefined;
    const revoked = { ...message, relayOrigin, account: info };
    remember(this.revocations, message.deviceId, revoked);
    this.emit('revoked', revoked);
  }

  // ---- Lookups ----

  private checkedOrigin(relayOrigin: string): string {
    const origin = normalizeOrigin(relayOrigin);
    if (!origin) throw new VirtualDeviceError('invalid_origin', `not an http(s) origin: ${relayOrigin}`);
    return origin;
  }

  private onlyLinkOrigin(): string {
    const origins = [...this.links.keys()];
    if (origins.length !== 1) {
      throw new VirtualDeviceError('ambiguous_relay', `the device has ${origins.length} relays; name one`);
    }
    return origins[0]!;
  }

  private onlyReadyOrigin(): string {
    const ready = [...this.links.values()].filter((link) => link.ready).map((link) => link.origin);
    if (ready.length !== 1) {
      throw new VirtualDeviceError('ambiguous_relay', `the device is connected to ${ready.length} relays; name one`);
    }
    return ready[0]!;
  }

  /** The account that signs: the one with `deviceId` when held here, else the first on the relay. */
  private signerFor(origin: string, deviceId: string | undefined): DeviceAccount {
    const onRelay = this.store.list().filter((account) => account.relayOrigin === origin);
    const signer = onRelay.find((account) => account.deviceId === deviceId) ?? onRelay[0];
    if (!signer) throw new VirtualDeviceError('no_accounts', `the device holds no account on ${origin}`);
    return signer;
  }

  private readySocket(origin: string): WebSocket {
    const link = this.links.get(origin);
    if (!link?.socket || !link.ready || link.socket.readyState !== WebSocket.OPEN) {
      throw new VirtualDeviceError('not_connected', `not connected to ${origin}; call connect() first`);
    }
    return link.socket;
  }

  // ---- Waiting ----

  private subscribe<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void {
    const handler = listener as (...args: VirtualDeviceEvents[K]) => void;
    // The casts bridge EventEmitter's generic key typing, which cannot follow a generic K.
    this.on(event as never, handler as never);
    return () => this.off(event as never, handler as never);
  }

  /**
   * A promise settled by events: `watch` subscribes and returns its unsubscribers, which run
   * as soon as the promise settles or the time limit passes.
   */
  private waitUntil<T>(
    what: string,
    options: WaitOptions,
    watch: (resolve: (value: T) => void, reject: (error: Error) => void) => Array<() => void>,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let unsubscribers: Array<() => void> = [];
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const unsubscribe of unsubscribers) unsubscribe();
        settle();
      };
      const timer = setTimeout(
        () => finish(() => reject(new VirtualDeviceError('timeout', `no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      unsubscribers = watch(
        (value) => finish(() => resolve(value)),
        (error) => finish(() => reject(error)),
      );
      if (settled) for (const unsubscribe of unsubscribers) unsubscribe();
    });
  }
}

/** Keeps the latest entries only, so a long-running listener does not grow without bound. */
function remember<T>(entries: Map<string, T>, key: string, value: T): void {
  entries.delete(key);
  entries.set(key, value);
  if (entries.size > MAX_REMEMBERED_EVENTS) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
}

function closedError(closed: CloseInfo): VirtualDeviceError {
  const why = closed.error ?? (closed.reason || 'no reason');
  return new VirtualDeviceError('closed', `${closed.relayOrigin} closed the socket with ${closed.code} (${why})`);
}

function sendMessage(socket: WebSocket, message: DeviceToRelayMessage): void {
  socket.send(JSON.stringify(message));
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
