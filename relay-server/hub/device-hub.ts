import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { randomId } from '../../protocol/encoding.ts';
import { CLOSE_CODES, LIMITS } from '../../protocol/limits.ts';
import { DEVICE_CONNECT_PATH } from '../../protocol/paths.ts';
import {
  DeviceToRelayMessage,
  type AuthMessage,
  type ChallengeMessage,
  type ClaimMessage,
  type DecisionMessage,
  type ErrorMessage,
  type RekeyedMessage,
  type RekeyMessage,
  type RelayToDeviceMessage,
  type RemoveMessage,
  type ResultMessage,
  type UnlockedMessage,
  type UnlockProofMessage,
} from '../../protocol/messages.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { parse } from '../../protocol/parse.ts';
import { connectStatement } from '../../protocol/statements.ts';
import type { Clock } from '../clock.ts';
import { clientAddress, clientKey } from '../http/client-context.ts';
import { aggregateKey } from '../security/aggregate-key.ts';
import { PublicKeyCache } from '../security/public-key-cache.ts';
import { publicKeyFromPoint, verifyDeviceSignature } from '../security/verify-signature.ts';
import type { DecidingDevice } from './deciding-device.ts';
import { isDatabaseUnavailable } from '../store/database-unavailable.ts';
import { isActiveDevice } from '../store/devices-store.ts';
import type { Store } from '../store/store.ts';
import type { Fanout } from './fanout.ts';

/** What the hub asks of the sign-in side; kept narrow so the hub knows nothing of HTTP. */
export interface DeviceHubHandlers {
  decide(device: DecidingDevice, decision: DecisionMessage): Promise<ResultMessage>;
  pendingChallenges(devices: readonly { deviceId: string; userId: string }[]): Promise<ChallengeMessage[]>;
  claim(device: DecidingDevice, claim: ClaimMessage): Promise<RelayToDeviceMessage>;
}

/** A socket as the PIN counting of section 4a sees it. */
export interface PinSocket {
  /** Random per socket: attempts are tied to it in the database. */
  readonly id: string;
  /** The `hello` nonce `device-action` statements are signed over. */
  readonly nonce: string;
  /** The client address, for the sign-in log. */
  readonly ip: string;
  /** Orders this socket's attempts. */
  nextSeq(): number;
  /** `device-action` statements accepted on this socket (each once; the nonce makes them this socket's). */
  readonly usedActions: Set<string>;
}

/** The PIN frames of section 4a, handled elsewhere (pin/pin-service.ts); the hub only routes them. */
export interface PinHandlers {
  unlock(socket: PinSocket, device: DecidingDevice, blinded: string): Promise<UnlockedMessage | ErrorMessage>;
  proof(socket: PinSocket, device: DecidingDevice, message: UnlockProofMessage): Promise<ErrorMessage | null>;
  rekey(socket: PinSocket, device: DecidingDevice, message: RekeyMessage): Promise<RekeyedMessage | ErrorMessage>;
  /** The socket is gone: its open attempts are failures. */
  socketClosed(socketId: string, deviceIds: readonly string[]): Promise<void>;
}

/**
 * A device's `remove` frame (section 4), handled elsewhere (devices/device-self-removal.ts): null
 * when the credential is gone, else the `error` to answer with.
 */
export interface DeviceRemoval {
  remove(socket: PinSocket, device: DecidingDevice, message: RemoveMessage): Promise<ErrorMessage | null>;
}

export interface DeviceHubDeps {
  store: Store;
  fanout: Fanout;
  clock: Clock;
  /** How long a new socket has to authenticate, and how often sockets are pinged (config.ts RelayTiming). */
  timing: { authTimeoutMs: number; pingIntervalMs: number };
  relayOrigin: () => string;
  handlers: DeviceHubHandlers;
  onError?: (error: unknown) => void;
  /** TRUST_PROXY: whose X-Forwarded-For entry names a socket's client (http/client-context.ts). */
  trustedProxies?: number;
  socketLimits?: Partial<SocketLimits>;
  pin: PinHandlers;
  removal: DeviceRemoval;
  /**
   * Wall-clock time for the leases of this instance's device sockets. Not the relay's clock: a
   * lease says whether an instance is alive, which a test moving its clock by days must not change.
   */
  leaseNow?: () => number;
}

/**
 * The cap of 4 authenticated sockets per device holds across instances (section 4), so it is
 * counted in the database (`device_sockets`): a row per socket and device, written at `auth` in a
 * transaction holding the device's row and deleted at close. Cheaper than Redis here because the
 * relay may run without Redis and `auth` already reads the devices. An instance that dies leaves
 * its rows behind: each carries a lease the live instance renews every LEASE_RENEW_MS, and rows
 * whose lease ran out are deleted before counting.
 */
const SOCKET_LEASE_MS = 90_000;

/** Sockets whose pending challenges one query reads when they are sent again. */
const RESEND_BATCH = 200;

/**
 * Authenticated sockets one user's devices may hold together, on every instance (before this cap one
 * paired device opened 438 sockets, each about 50 KiB and each sent every challenge). The 4 per
 * device bound a user only as far as they have devices, and pairing more takes one sign-in each;
 * 32 is eight devices' worth, far past what one person runs, and bounds a user's sockets at about
 * 1.6 MiB. Past it, the device is in `ready.rejected` with `rate_limited`, as for the 5th socket.
 */
export const MAX_SOCKETS_PER_USER = 32;
const LEASE_RENEW_MS = 30_000;

/**
 * What one client (an IPv4 address, an IPv6 /48) may hold: sockets that have not authenticated
 * yet, and new sockets per second (a token bucket). Past either, the new socket is closed with
 * 4429 at once. Authenticated sockets are capped per device and per user instead (`authenticate`).
 *
 * "Every cap that is full refuses unfamiliar clients only" (docs/protocol.md section 5) means here:
 * there is no relay-wide cap on unauthenticated sockets that one client's flood could fill for
 * everybody. Each client has its own allowance, so a full one refuses that client alone. No socket
 * is exempt: before `auth` a socket proves nothing (a device socket carries no familiar cookie),
 * and a device's own reconnect needs one place for a few milliseconds. The allowance is an
 * aggregate share of the relay's memory, so an IPv6 /48 counts as one client (section 1).
 */
export interface SocketLimits {
  unauthenticatedPerClient: number;
  newPerSecondPerClient: number;
  newBurstPerClient: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = { unauthenticatedPerClient: 32, newPerSecondPerClient: 20, newBurstPerClient: 40 };

/** A refused socket that does not answer our close frame is cut off after this long. */
const REFUSED_SOCKET_GRACE_MS = 1_000;

/** Per client (aggregateKey): its unauthenticated sockets and its bucket of new sockets. */
interface ClientSockets {
  unauthenticated: number;
  tokens: number;
  tokensAt: number;
}

/** Pings go out in this many groups, one group per 1/PING_SLOTS of the ping interval. */
const PING_SLOTS = 20;

/** Frames a socket may send: a burst of 60, refilled at 20 a second; past that, close 4429. */
const RATE_BURST = 60;
const RATE_PER_SECOND = 20;

interface Connection extends PinSocket {
  socket: WebSocket;
  /** The relay closed it (malformed, limits, shutdown): frames still queued are dropped. */
  closedByRelay: boolean;
  /** The client the socket came from, as its allowance counts it (IPv4 address or IPv6 /48). */
  client: string;
  nonce: string;
  /** The credentials accepted on this socket, by device id. */
  devices: Map<string, DecidingDevice> | null;
  malformedFrames: number;
  authTimer: NodeJS.Timeout | undefined;
  tokens: number;
  tokensAt: number;
  /** Frames are handled one at a time, in order. */
  queue: Promise<void>;
  /** Which group of sockets this one is pinged with. */
  pingSlot: number;
  /** Whether this socket holds rows in `device_sockets` (released at close). */
  claimedPlaces: boolean;
}

/**
 * The device side of docs/protocol.md section 4 over plain `ws`: hello → auth → ready, challenges out,
 * decisions in, pings every 20 s, and every close code of the spec.
 */
export class DeviceHub {
  /** `ws` refuses a frame over maxPayload from its header alone, before buffering any of it. */
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: LIMITS.frameBytes, perMessageDeflate: false });
  private readonly connections = new Set<Connection>();
  private readonly byDevice = new Map<string, Set<Connection>>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly pingTimer: NodeJS.Timeout;
  /** Sockets in PING_SLOTS groups, one group pinged per tick, so pings are spread, not a burst. */
  private readonly pingSlots: Set<Connection>[] = Array.from({ length: PING_SLOTS }, () => new Set());
  private pingTick = 0;
  private nextSlot = 0;
  private closing = false;
  private readonly limits: SocketLimits;
  private readonly clients = new Map<string, ClientSockets>();
  /** Names this instance's rows in `device_sockets`. */
  private readonly instanceId = randomId();
  /** The device keys decisions and PIN frames are checked with, imported on use. */
  private readonly keys = new PublicKeyCache();
  private readonly leaseTimer: NodeJS.Timeout;
  /** Database work a socket's close started (its attempts become failures); shutdown waits for it. */
  private readonly closeWork = new Set<Promise<void>>();

  constructor(private readonly deps: DeviceHubDeps) {
    deps.fanout.setDeviceSink({
      toDevice: (deviceId, message) => this.deliverLocal(deviceId, message),
      toUserDevices: (userId, message, exceptDeviceId) => this.deliverToUserLocal(userId, message, exceptDeviceId),
    });
    this.pingTimer = setInterval(() => this.pingSlot(), deps.timing.pingIntervalMs / PING_SLOTS);
    this.pingTimer.unref();
    this.limits = { ...DEFAULT_SOCKET_LIMITS, ...deps.socketLimits };
    this.leaseTimer = setInterval(() => {
      deps.store.pin.renewLeases(this.instanceId, this.leaseNow() + SOCKET_LEASE_MS).catch((error: unknown) => deps.onError?.(error));
    }, LEASE_RENEW_MS);
    this.leaseTimer.unref();
  }

  private leaseNow(): number {
    return (this.deps.leaseNow ?? Date.now)();
  }

  get connectedDevices(): number {
    return this.byDevice.size;
  }

  get openSockets(): number {
    return this.connections.size;
  }

  /** For the HTTP server's `upgrade` event; answers false when the path is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (request.url ?? '').split('?')[0];
    if (path !== DEVICE_CONNECT_PATH) return false;
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return true;
    }
    const ip = clientAddress(forwardedFor(request), request.socket.remoteAddress ?? '', this.deps.trustedProxies ?? 0);
    const client = aggregateKey(clientKey(ip));
    this.server.handleUpgrade(request, socket, head, (ws) => {
      const refusal = this.admit(client);
      if (refusal) return refuse(ws, refusal);
      this.accept(ws, client, ip);
    });
    return true;
  }

  /** Counts a new socket against its client's limits; a reason when it is one too many. */
  private admit(client: string): string | null {
    const now = this.deps.clock.now();
    let entry = this.clients.get(client);
    if (!entry) {
      if (this.clients.size >= 10_000) this.pruneClients(now);
      this.clients.set(client, (entry = { unauthenticated: 0, tokens: this.limits.newBurstPerClient, tokensAt: now }));
    }
    entry.tokens = Math.min(
      this.limits.newBurstPerClient,
      entry.tokens + ((now - entry.tokensAt) / 1000) * this.limits.newPerSecondPerClient,
    );
    entry.tokensAt = now;
    if (entry.tokens < 1) return 'too many new sockets from this address; try again in a few seconds';
    if (entry.unauthenticated >= this.limits.unauthenticatedPerClient) return 'too many unauthenticated sockets from this address';
    entry.tokens -= 1;
    entry.unauthenticated += 1;
    return null;
  }

  /** The socket has authenticated or gone: it no longer counts against its client. */
  private release(connection: Connection): void {
    const entry = this.clients.get(connection.client);
    if (entry && entry.unauthenticated > 0) entry.unauthenticated -= 1;
  }

  /** Forgets clients with no unauthenticated socket and a full bucket: they are as if new. */
  private pruneClients(now: number): void {
    for (const [client, entry] of this.clients) {
      const tokens = entry.tokens + ((now - entry.tokensAt) / 1000) * this.limits.newPerSecondPerClient;
      if (entry.unauthenticated === 0 && tokens >= this.limits.newBurstPerClient) this.clients.delete(client);
    }
  }

  private accept(socket: WebSocket, client: string, ip: string): void {
    // Past maxPayload `ws` closes with 1009 by itself; the protocol's code for it is 4413.
    const close = socket.close.bind(socket);
    socket.close = (code?: number, reason?: string | Buffer) =>
      code === 1009 ? close(CLOSE_CODES.frameTooLarge, 'frame over 16 KiB') : close(code, reason);
    let seq = 0;
    const connection: Connection = {
      id: randomId(),
      closedByRelay: false,
      ip,
      nextSeq: () => ++seq,
      usedActions: new Set(),
      claimedPlaces: false,
      socket,
      client,
      nonce: randomId(),
      devices: null,
      malformedFrames: 0,
      authTimer: undefined,
      tokens: RATE_BURST,
      tokensAt: this.deps.clock.now(),
      queue: Promise.resolve(),
      pingSlot: this.nextSlot++ % PING_SLOTS,
    };
    this.connections.add(connection);
    this.pingSlots[connection.pingSlot]!.add(connection);
    connection.authTimer = setTimeout(
      () => this.close(connection, CLOSE_CODES.authTimeout, 'no auth in time'),
      this.deps.timing.authTimeoutMs,
    );
    socket.on('message', (data, isBinary) => {
      connection.queue = connection.queue
        .then(() => this.receive(connection, data, isBinary))
        .catch((error: unknown) => {
          this.deps.onError?.(error);
          // The frame was fine; the relay was not. Say so, so the device can retry.
          const unavailable = isDatabaseUnavailable(error);
          this.send(connection, {
            type: 'error',
            code: unavailable ? 'unavailable' : 'internal_error',
            message: unavailable
              ? 'The relay cannot reach its database right now; try again shortly.'
              : 'The relay could not handle this frame.',
          });
        });
    });
    socket.on('close', () => this.forget(connection));
    socket.on('error', () => this.forget(connection));
    this.send(connection, { type: 'hello', nonce: connection.nonce, serverTime: this.deps.clock.now() });
  }

  private async receive(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    // Frames the device sent before it closed are still handled (an `unlock_proof` followed at
    // once by a close must clear its attempt); after the relay closed the socket, none are.
    if (connection.closedByRelay) return;
    const size = Array.isArray(data)
      ? data.reduce((total, part) => total + part.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length;
    if (size > LIMITS.frameBytes) return this.close(connection, CLOSE_CODES.frameTooLarge, 'frame over 16 KiB');
    if (!this.takeToken(connection)) return this.close(connection, CLOSE_CODES.rateLimited, 'too many frames');
    if (isBinary) return this.malformed(connection, 'frames must be text');
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
    } catch {
      return this.malformed(connection, 'frame is not JSON');
    }
    const parsed = parse(DeviceToRelayMessage, json);
    if (!parsed.ok) return this.malformed(connection, parsed.message);
    const message = parsed.value;
    if (message.type === 'pong') return;
    if (message.type === 'auth') {
      if (connection.devices) return this.malformed(connection, 'already authenticated');
      return this.authenticate(connection, message);
    }
    if (!connection.devices) {
      // Section 4: nothing but `auth` before `auth`; an `unlock` says so before the close.
      if (message.type !== 'decision') {
        this.send(connection, notAccepted(message.deviceId, 'not authenticated: send auth first'));
      }
      return this.close(connection, CLOSE_CODES.notAuthenticated, 'not authenticated');
    }
    const device = connection.devices.get(message.deviceId);
    if (!device) {
      if (message.type === 'decision') {
        this.send(connection, { type: 'result', requestId: message.requestId, outcome: 'rejected', code: 'unknown_device' });
      } else {
        this.send(connection, notAccepted(message.deviceId, 'this connection has not accepted that device'));
      }
      return;
    }
    switch (message.type) {
      case 'decision':
        this.send(connection, await this.deps.handlers.decide(device, message));
        return;
      case 'unlock':
        this.send(connection, await this.deps.pin.unlock(connection, device, message.blinded));
        return;
      case 'unlock_proof': {
        const refused = await this.deps.pin.proof(connection, device, message);
        if (refused) this.send(connection, refused);
        return;
      }
      case 'rekey':
        this.send(connection, await this.deps.pin.rekey(connection, device, message));
        return;
      case 'claim':
        // Section 5: a sign-in code typed into the device (signin/signin-service.ts `claim`).
        this.send(connection, await this.deps.handlers.claim(device, message));
        return;
      case 'remove': {
        const refused = await this.deps.removal.remove(connection, device, message);
        if (refused) return this.send(connection, refused);
        // The fan-out has told every socket of the device, this one too when it is in-process;
        // over Redis that comes later, and the device is owed its answer now.
        if (connection.devices.has(device.id)) {
          this.send(connection, { type: 'revoked', deviceId: device.id });
          this.dropCredential(connection, device.id);
        }
        return;
      }
    }
  }

  /**
   * Checks each credential's `connect` statement against that device's connect key, and only
   * that key (section 2). The schema has already refused a frame naming a device twice or more
   * than 64 of them. A revision-1 device (no connect key) is refused with `device_revoked`: it
   * has to be added again. The socket keeps the keys of each device it accepts as points; they
   * are imported again on use, through the hub's cache (security/public-key-cache.ts).
   */
  private async authenticate(connection: Connection, auth: AuthMessage): Promise<void> {
    clearTimeout(connection.authTimer);
    const ids = auth.credentials.map((credential) => credential.deviceId);
    const devices = new Map((await this.deps.store.devices.byIds(ids)).map((device) => [device.id, device]));
    const accepted = new Map<string, DecidingDevice>();
    const rejected: { deviceId: string; code: ErrorCode }[] = [];
    for (const { deviceId, signature } of auth.credentials) {
      const device = devices.get(deviceId);
      if (!device) {
        rejected.push({ deviceId, code: 'unknown_device' });
        continue;
      }
      if (!isActiveDevice(device)) {
        rejected.push({ deviceId, code: 'device_revoked' });
        continue;
      }
      const statement = connectStatement({ relayOrigin: this.deps.relayOrigin(), nonce: connection.nonce, deviceId });
      const connectKey = publicKeyOrNull(device.connect_public_key!);
      const approvalKey = publicKeyOrNull(device.public_key);
      if (connectKey && approvalKey && verifyDeviceSignature(statement, signature, connectKey)) {
        accepted.set(deviceId, decidingDevice(device, this.keys));
      } else {
        rejected.push({ deviceId, code: 'bad_signature' });
      }
    }
    if (accepted.size > 0 && this.connections.has(connection)) {
      // At most 4 authenticated sockets per device and MAX_SOCKETS_PER_USER per user, on every instance (section 4).
      const placed = await this.deps.store.pin.claimSockets({
        devices: [...accepted.values()].map((device) => ({ deviceId: device.id, userId: device.userId })),
        socketId: connection.id,
        instanceId: this.instanceId,
        now: this.leaseNow(),
        leaseUntil: this.leaseNow() + SOCKET_LEASE_MS,
        max: LIMITS.maxSocketsPerDevice,
        maxPerUser: MAX_SOCKETS_PER_USER,
      });
      connection.claimedPlaces = placed.size > 0;
      for (const deviceId of [...accepted.keys()]) {
        if (placed.has(deviceId)) continue;
        accepted.delete(deviceId);
        rejected.push({ deviceId, code: 'rate_limited' });
      }
      // A socket that closed meanwhile gives them back in afterClose, which runs after this frame.
    }
    this.send(connection, { type: 'ready', accepted: [...accepted.keys()], rejected });
    if (accepted.size === 0) return this.close(connection, CLOSE_CODES.notAuthenticated, 'no credential accepted');
    if (!this.connections.has(connection)) return;
    connection.devices = accepted;
    this.release(connection);
    for (const device of accepted.values()) {
      addTo(this.byDevice, device.id, connection);
      addTo(this.byUser, device.userId, connection);
    }
    const pending = await this.deps.handlers.pendingChallenges(
      [...accepted.values()].map((device) => ({ deviceId: device.id, userId: device.userId })),
    );
    for (const challenge of pending) this.send(connection, challenge);
  }

  /**
   * Sends every authenticated socket here the challenges still pending for its devices, as after
   * its `ready`: pushes published while Redis was away reached no one (devices ignore a challenge
   * they already hold). Users are read in batches, so a big instance makes a few queries.
   */
  async resendPendingChallenges(): Promise<void> {
    const connections = [...this.connections].filter((connection) => connection.devices && connection.devices.size > 0);
    for (let start = 0; start < connections.length; start += RESEND_BATCH) {
      const batch = connections.slice(start, start + RESEND_BATCH);
      const devices = new Map(batch.flatMap((connection) => [...connection.devices!.values()].map((device) => [device.id, device.userId])));
      const challenges = await this.deps.handlers.pendingChallenges([...devices].map(([deviceId, userId]) => ({ deviceId, userId })));
      for (const connection of batch) {
        for (const challenge of challenges) if (connection.devices?.has(challenge.deviceId)) this.send(connection, challenge);
      }
    }
  }

  /** Delivers to this instance's sockets for the device; `revoked` also drops the credential. */
  private deliverLocal(deviceId: string, message: RelayToDeviceMessage): void {
    const connections = this.byDevice.get(deviceId);
    if (!connections) return;
    for (const connection of [...connections]) {
      this.send(connection, message);
      if (message.type === 'revoked') this.dropCredential(connection, deviceId);
    }
  }

  private dropCredential(connection: Connection, deviceId: string): void {
    const devices = connection.devices!;
    if (devices.size > 1) this.track(this.deps.store.pin.releaseSocket(connection.id, deviceId));
    const userId = devices.get(deviceId)!.userId;
    devices.delete(deviceId);
    removeFrom(this.byDevice, deviceId, connection);
    if (![...devices.values()].some((device) => device.userId === userId)) removeFrom(this.byUser, userId, connection);
    if (devices.size === 0) this.close(connection, CLOSE_CODES.allRevoked, 'all credentials revoked');
  }

  /** Delivers to this instance's sockets holding a device of the user, one copy per device but `exceptDeviceId`. */
  private deliverToUserLocal(userId: string, message: RelayToDeviceMessage, exceptDeviceId: string | null): void {
    for (const connection of this.byUser.get(userId) ?? []) {
      for (const device of connection.devices?.values() ?? []) {
        if (device.userId === userId && device.id !== exceptDeviceId) this.send(connection, message);
      }
    }
  }

  private malformed(connection: Connection, reason: string): void {
    connection.malformedFrames += 1;
    this.send(connection, { type: 'error', code: 'malformed_frame', message: reason });
    if (connection.malformedFrames >= LIMITS.malformedFramesBeforeClose) this.close(connection, CLOSE_CODES.malformed, 'malformed traffic');
  }

  private takeToken(connection: Connection): boolean {
    const now = this.deps.clock.now();
    connection.tokens = Math.min(RATE_BURST, connection.tokens + ((now - connection.tokensAt) / 1000) * RATE_PER_SECOND);
    connection.tokensAt = now;
    if (connection.tokens < 1) return false;
    connection.tokens -= 1;
    return true;
  }

  private send(connection: Connection, message: RelayToDeviceMessage): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(JSON.stringify(message));
  }

  private close(connection: Connection, code: number, reason: string): void {
    connection.closedByRelay = true;
    this.forget(connection);
    connection.socket.close(code, reason);
  }

  private forget(connection: Connection): void {
    clearTimeout(connection.authTimer);
    if (!this.connections.delete(connection)) return;
    this.afterClose(connection);
    if (!connection.devices) this.release(connection);
    this.pingSlots[connection.pingSlot]!.delete(connection);
    for (const device of connection.devices?.values() ?? []) {
      removeFrom(this.byDevice, device.id, connection);
      removeFrom(this.byUser, device.userId, connection);
    }
  }

  /** A closed socket: its open PIN attempts become failures, and its places under the socket cap are freed. */
  private afterClose(connection: Connection): void {
    // After the frames that arrived before the close: a proof among them clears its attempts
    // first, and an `auth` among them has claimed its places before they are freed.
    this.track(
      connection.queue.then(async () => {
        if (connection.devices) await this.deps.pin.socketClosed(connection.id, [...connection.devices.keys()]);
        if (connection.claimedPlaces) {
          connection.claimedPlaces = false;
          await this.deps.store.pin.releaseSocket(connection.id);
        }
      }),
    );
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.deps.onError?.(error)).finally(() => this.closeWork.delete(tracked));
    this.closeWork.add(tracked);
  }

  /**
   * Pings one slot's sockets: each socket every `pingIntervalMs`, as the protocol asks, but 10,000
   * sockets no longer get theirs in one burst that stalls sign-ins for a tenth of a second.
   */
  private pingSlot(): void {
    const slot = this.pingSlots[this.pingTick++ % PING_SLOTS]!;
    if (slot.size === 0) return;
    const message = JSON.stringify({ type: 'ping', t: this.deps.clock.now() });
    for (const connection of slot) {
      if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(message);
    }
  }

  /** Graceful stop: refuse new sockets and close the open ones with 1012 so devices reconnect elsewhere. */
  async shutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.pingTimer);
    const open = [...this.connections];
    // Decisions already received are applied before the store closes.
    await Promise.all(open.map((connection) => connection.queue));
    const closed = open.map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.socket.once('close', () => resolve());
          this.close(connection, CLOSE_CODES.serviceRestart, 'relay restarting');
          setTimeout(() => {
            connection.socket.terminate();
            resolve();
          }, 2_000).unref();
        }),
    );
    await Promise.all(closed);
    clearInterval(this.leaseTimer);
    // Failures of the sockets just closed are written before the store closes.
    while (this.closeWork.size > 0) await Promise.all([...this.closeWork]);
    await this.deps.store.pin.releaseInstance(this.instanceId).catch((error: unknown) => this.deps.onError?.(error));
    this.server.close();
  }
}

/** `error` for a PIN frame naming a device this socket has not accepted: nothing changes. */
function notAccepted(deviceId: string, message: string): ErrorMessage {
  return { type: 'error', code: 'unknown_device', message, deviceId };
}

function forwardedFor(request: IncomingMessage): string | undefined {
  const header = request.headers['x-forwarded-for'];
  return Array.isArray(header) ? header.join(', ') : header;
}

/** Closes a socket over its client's limits with 4429, and cuts it off if it does not answer. */
function refuse(socket: WebSocket, reason: string): void {
  socket.on('error', () => undefined);
  socket.close(CLOSE_CODES.rateLimited, reason);
  setTimeout(() => socket.terminate(), REFUSED_SOCKET_GRACE_MS).unref();
}

/** What a socket keeps of a device it accepted: no imported key (see `PublicKeyCache`). */
function decidingDevice(
  device: { id: string; user_id: string; public_key: string; connect_public_key: string | null; last_used_at: number | null },
  keys: PublicKeyCache,
): DecidingDevice {
  const approvalPoint = device.public_key;
  const connectPoint = device.connect_public_key!;
  return {
    id: device.id,
    userId: device.user_id,
    lastUsedAt: device.last_used_at ?? 0,
    get approvalKey() {
      return keys.get(approvalPoint);
    },
    get connectKey() {
      return keys.get(connectPoint);
    },
  };
}

function publicKeyOrNull(publicKey: string) {
  try {
    return publicKeyFromPoint(publicKey);
  } catch {
    return null;
  }
}

function addTo<K>(index: Map<K, Set<Connection>>, key: K, connection: Connection): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(connection);
}

function removeFrom<K>(index: Map<K, Set<Connection>>, key: K, connection: Connection): void {
  const set = index.get(key);
  set?.delete(connection);
  if (set?.size === 0) index.delete(key);
}
