import { LIMITS } from '../limits.ts';
import type { DeviceToRelayMessage, ReadyMessage, RelayToDeviceMessage } from '../messages.ts';
import { authFrame } from './connection-auth.ts';
import type { StatementSigner } from './device-crypto.ts';
import { closeMeaning, connectUrl, reconnectDelayMs, shouldReconnect, type CloseMeaning } from './reconnect.ts';
import { readRelayFrame } from './relay-frames.ts';

/**
 * One WebSocket to one relay, carrying every account the device holds there (section 4):
 * hello → auth (connect keys) → ready, pong to ping, then challenge traffic in order. It
 * reconnects with jittered backoff (quickly after 1012) and stops after 4401/4403; at most one
 * socket or one reconnect timer exists at a time. The socket itself is injected: a browser
 * WebSocket fits as it is; Node's `ws` needs a thin wrapper (its event types are wider).
 */

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export interface WebSocketLike {
  readonly readyState: number;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ConnectionAccount {
  deviceId: string;
  connect: StatementSigner;
}

export interface ClosedSocket {
  code: number;
  reason: string;
  meaning: CloseMeaning;
  willReconnect: boolean;
}

export interface RelayConnectionDeps {
  createSocket(url: string): WebSocketLike;
  /** The accounts to authenticate on this relay now (may be empty: the socket then closes quietly). */
  accounts(): Promise<ConnectionAccount[]> | ConnectionAccount[];
  onReady?(ready: ReadyMessage): Promise<void> | void;
  /** challenge, cancel, result, revoked, notice: frames for the account logic. */
  onFrame(frame: RelayToDeviceMessage): Promise<void> | void;
  /** The relay refused or revoked every credential (4401/4403): the connection stays down. */
  onRefused?(code: number): Promise<void> | void;
  onClose?(closed: ClosedSocket): void;
  onStateChange?(state: ConnectionState): void;
  /** Any frame that parsed as JSON, before it is validated (for tools that record traffic). */
  onRawFrame?(json: unknown): void;
  onInvalidFrame?(field: string, message: string): void;
  /** Uniform in [0, 1), from a CSPRNG. */
  random(): number;
  now(): number;
  /** Reconnect after a drop; default true. */
  autoReconnect?: boolean;
  log?(message: string, detail?: unknown): void;
}

/** A quiet socket for this long is presumed dead (the relay pings every 20 s). */
export const STALE_AFTER_MS = 3 * LIMITS.pingIntervalMs;

export class RelayConnection {
  state: ConnectionState = 'idle';
  ready: ReadyMessage | null = null;
  /** The `hello` nonce of the current socket: `device-action` statements are signed over it. */
  nonce: string | null = null;
  private socket: WebSocketLike | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private refused = false;
  private stopped = false;
  private lastTraffic = 0;
  private queue: Promise<void> = Promise.resolve();
  private readyWaiters: Array<(ready: boolean) => void> = [];

  constructor(
    readonly relayOrigin: string,
    private readonly deps: RelayConnectionDeps,
  ) {}

  /** Opens the socket unless one is open, opening, or scheduled, or the relay refused us. */
  ensure(): void {
    if (this.stopped || this.refused || this.reconnectTimer) return;
    if (this.socket && this.deps.now() - this.lastTraffic > STALE_AFTER_MS) {
      this.deps.log?.('socket silent too long, reopening');
      this.drop(this.socket);
    }
    if (this.socket) return;
    this.open();
  }

  /**
   * The accounts changed (one added or re-paired): forget an earlier refusal and authenticate
   * them all, on a new socket since `auth` comes once per socket.
   */
  reauthenticate(): void {
    this.refused = false;
    this.stopped = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.socket) this.drop(this.socket);
    this.attempt = 0;
    this.open();
  }

  /** Sends a frame on the authenticated socket; false when there is none. */
  send(frame: DeviceToRelayMessage): boolean {
    if (!this.socket || this.state !== 'connected') return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** The open socket, for tools that send raw bytes on purpose. */
  openSocket(): WebSocketLike | null {
    return this.socket;
  }

  /** Resolves true once `ready` arrives, false after `timeoutMs` or a refusal. */
  waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    this.ensure();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      const done = (ready: boolean) => {
        clearTimeout(timer);
        resolve(ready);
      };
      this.readyWaiters.push(done);
    });
  }

  /** Closes with 1000 and stays closed until `ensure()` after `resume()` or `reauthenticate()`. */
  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    if (socket) {
      this.drop(socket);
      this.deps.onClose?.({ code: 1000, reason: 'device closing', meaning: 'dropped', willReconnect: false });
    }
    this.setState('idle');
    for (const waiter of this.readyWaiters.splice(0)) waiter(false);
  }

  resume(): void {
    this.stopped = false;
  }

  private open(): void {
    const socket = this.deps.createSocket(connectUrl(this.relayOrigin));
    this.socket = socket;
    this.ready = null;
    this.lastTraffic = this.deps.now();
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    socket.onmessage = (event) => {
      // Frames are handled strictly in order: a cancel must never overtake its challenge.
      this.queue = this.queue
        .then(() => this.receive(socket, event.data))
        .catch((error: unknown) => {
          this.deps.log?.('frame handling failed', error);
        });
    };
    socket.onclose = (event) => this.closed(socket, event.code, event.reason ?? '');
    socket.onerror = () => {
      /* a close event always follows */
    };
  }

  private drop(socket: WebSocketLike): void {
    socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(1000);
    } catch {
      /* already closing */
    }
    if (this.socket === socket) this.socket = null;
    this.ready = null;
    this.nonce = null;
  }

  private async receive(socket: WebSocketLike, data: unknown): Promise<void> {
    if (socket !== this.socket) return;
    this.lastTraffic = this.deps.now();
    if (this.deps.onRawFrame && typeof data === 'string') {
      try {
        this.deps.onRawFrame(JSON.parse(data));
      } catch {
        /* reported as invalid below */
      }
    }
    // Frames are text (section 1): anything else is read as invalid.
    const reading = readRelayFrame(data);
    if (reading.kind === 'unknown') return this.deps.log?.(`ignored a frame of unknown type ${reading.type}`);
    if (reading.kind === 'invalid') {
      this.deps.onInvalidFrame?.(reading.field, reading.message);
      return this.deps.log?.(`dropped an invalid frame (${reading.field})`);
    }
    const frame = reading.frame;
    switch (frame.type) {
      case 'hello': {
        this.nonce = frame.nonce;
        const auth = await authFrame({ relayOrigin: this.relayOrigin, nonce: frame.nonce, accounts: await this.deps.accounts() });
        if (socket !== this.socket) return;
        if (!auth) {
          // Nothing to authenticate with (every account gone or refused): stay quiet.
          this.refused = true;
          this.drop(socket);
          this.deps.onClose?.({ code: 1000, reason: 'no accounts', meaning: 'dropped', willReconnect: false });
          this.setState('error');
          for (const waiter of this.readyWaiters.splice(0)) waiter(false);
          return;
        }
        socket.send(JSON.stringify(auth));
        return;
      }
      case 'ready':
        this.attempt = 0;
        this.ready = frame;
        // Connected first, so a device that answers `ready` at once can already send.
        if (frame.accepted.length > 0) this.setState('connected');
        await this.deps.onReady?.(frame);
        if (frame.accepted.length > 0) for (const waiter of this.readyWaiters.splice(0)) waiter(true);
        return;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong', t: frame.t }));
        return;
      case 'error':
        this.deps.log?.(`relay error ${frame.code}`);
        await this.deps.onFrame(frame);
        return;
      default:
        await this.deps.onFrame(frame);
    }
  }

  private closed(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = null;
    this.nonce = null;
    const meaning = closeMeaning(code);
    const reconnect = !this.stopped && shouldReconnect(code) && this.deps.autoReconnect !== false;
    this.deps.onClose?.({ code, reason, meaning, willReconnect: reconnect });
    if (this.stopped) return;
    if (!shouldReconnect(code)) {
      this.refused = true;
      this.setState('error');
      for (const waiter of this.readyWaiters.splice(0)) waiter(false);
      void Promise.resolve(this.deps.onRefused?.(code)).catch(() => undefined);
      return;
    }
    if (!reconnect) {
      this.setState('idle');
      for (const waiter of this.readyWaiters.splice(0)) waiter(false);
      return;
    }
    const delay = reconnectDelayMs(this.attempt, this.deps.random(), code);
    this.attempt++;
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensure();
    }, delay);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.onStateChange?.(state);
  }
}
