import { DEVICE_CONNECT_PATH } from '../../protocol/paths.ts';
import {
  CLOSE_CODES,
  LIMITS,
  RelayToDeviceMessage,
  parse,
  type DeviceToRelayMessage,
  type ReadyMessage,
} from '../../protocol/index.ts';

/**
 * One WebSocket per relay, carrying every account this extension holds there
 * (PROTOCOL.md section 4): hello → auth → ready, pong to ping, then challenge traffic. It
 * reconnects with jittered exponential backoff, except after 4401/4403 (the relay refused us:
 * looping would only hammer it), and at most one socket or one reconnect timer exists at a time.
 */

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export interface Credential {
  deviceId: string;
  signature: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RelaySocketDeps {
  createSocket(url: string): WebSocketLike;
  /** Connect-statement signatures for every usable account on this relay (may be empty). */
  credentials(nonce: string): Promise<Credential[]>;
  onReady(ready: ReadyMessage): Promise<void> | void;
  /** Challenge, cancel, result, revoked: frames for the account logic. */
  onFrame(frame: RelayToDeviceMessage): Promise<void> | void;
  /** The relay refused us for good (4401/4403). */
  onRefused(code: number): Promise<void> | void;
  onStateChange(state: ConnectionState): void;
  random(): number;
  now(): number;
  log?(message: string, detail?: unknown): void;
}

const MAX_BACKOFF_MS = 30_000;
const BASE_BACKOFF_MS = 1_000;

/** Exponential backoff with jitter: half fixed, half random, so many devices do not stampede. */
export function reconnectDelayMs(attempt: number, random: number, closeCode?: number): number {
  if (closeCode === CLOSE_CODES.serviceRestart) return Math.round(250 + random * 2_750);
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

export function connectUrl(relayOrigin: string): string {
  return `${relayOrigin.replace(/^http/, 'ws')}${DEVICE_CONNECT_PATH}`;
}

/** A quiet socket for this long is presumed dead (the relay pings every 20 s). */
export const STALE_AFTER_MS = 3 * LIMITS.pingIntervalMs;

export class RelaySocket {
  state: ConnectionState = 'idle';
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
    private readonly deps: RelaySocketDeps,
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

  /** Forgets an earlier refusal (an account was added or re-paired) and connects. */
  retry(): void {
    this.refused = false;
    this.ensure();
  }

  send(frame: DeviceToRelayMessage): boolean {
    if (!this.socket || this.state !== 'connected') return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Resolves true once `ready` arrives, false after `timeoutMs`. */
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

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.socket) this.drop(this.socket);
    this.setState('idle');
  }

  private open(): void {
    const socket = this.deps.createSocket(connectUrl(this.relayOrigin));
    this.socket = socket;
    this.lastTraffic = this.deps.now();
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    socket.onmessage = (event) => {
      // Frames are handled strictly in order: a cancel must never overtake its challenge.
      this.queue = this.queue.then(() => this.receive(socket, event.data)).catch((error: unknown) => {
        this.deps.log?.('frame handling failed', error);
      });
    };
    socket.onclose = (event) => this.closed(socket, event.code);
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
  }

  private async receive(socket: WebSocketLike, data: unknown): Promise<void> {
    if (socket !== this.socket) return;
    this.lastTraffic = this.deps.now();
    if (typeof data !== 'string' || data.length > LIMITS.frameBytes) {
      this.deps.log?.('dropped a frame that is not text or too large');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.deps.log?.('dropped a frame that is not JSON');
      return;
    }
    const parsed = parse(RelayToDeviceMessage, json);
    if (!parsed.ok) {
      this.deps.log?.(`dropped an invalid frame (${parsed.field})`);
      return;
    }
    const frame = parsed.value;
    switch (frame.type) {
      case 'hello': {
        const credentials = await this.deps.credentials(frame.nonce);
        if (socket !== this.socket) return;
        if (credentials.length === 0) {
          // Nothing to authenticate with (all accounts gone or refused): stay quiet.
          this.refused = true;
          this.drop(socket);
          this.setState('error');
          return;
        }
        socket.send(JSON.stringify({ type: 'auth', credentials }));
        return;
      }
      case 'ready':
        this.attempt = 0;
        await this.deps.onReady(frame);
        if (frame.accepted.length > 0) {
          this.setState('connected');
          for (const waiter of this.readyWaiters.splice(0)) waiter(true);
        }
        return;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong', t: frame.t }));
        return;
      case 'error':
        this.deps.log?.(`relay error ${frame.code}`);
        return;
      default:
        await this.deps.onFrame(frame);
    }
  }

  private closed(socket: WebSocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    if (this.stopped) return;
    if (code === CLOSE_CODES.notAuthenticated || code === CLOSE_CODES.allRevoked) {
      this.refused = true;
      this.setState('error');
      for (const waiter of this.readyWaiters.splice(0)) waiter(false);
      void Promise.resolve(this.deps.onRefused(code)).catch(() => undefined);
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
    this.deps.onStateChange(state);
  }
}
