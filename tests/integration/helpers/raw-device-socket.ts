import { WebSocket, type RawData } from 'ws';
import { onTestFinished } from 'vitest';
import { connectStatement, signStatement } from '../../../protocol/index.ts';
import { WAIT_MS } from './test-relay.ts';

/**
 * A bare device socket for frame-level tests: sends whatever a test gives it and records every
 * frame and the close, so a test can wait for exactly the frame it means.
 */
export class RawDeviceSocket {
  readonly frames: Array<Record<string, any>> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private closeInfo: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      this.frames.push(JSON.parse(data.toString()) as Record<string, any>);
      for (const waiter of [...this.waiters]) waiter();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        for (const waiter of [...this.waiters]) waiter();
      });
    });
    socket.on('error', () => undefined);
  }

  /** Opens the socket and waits for it to be open; closed again when the test ends. */
  static async open(origin: string): Promise<RawDeviceSocket> {
    const url = new URL('/api/v1/devices/connect', origin);
    url.protocol = 'ws:';
    const socket = new WebSocket(url);
    const raw = new RawDeviceSocket(socket);
    onTestFinished(() => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return raw;
  }

  /**
   * Opens a socket, answers `hello` with these credentials (each signing the connect statement
   * with its `connectKey`) and returns the socket and its `ready`.
   */
  static async authenticated(
    origin: string,
    credentials: Array<{ deviceId: string; connectKey: Uint8Array }>,
    /** Where to connect when it is not `origin` (one instance of several answering for it). */
    address = origin,
  ): Promise<{ raw: RawDeviceSocket; ready: Record<string, any> }> {
    const raw = await RawDeviceSocket.open(address);
    const hello = await raw.next('hello');
    raw.send(authFrame(origin, hello.nonce, credentials));
    return { raw, ready: await raw.next('ready') };
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Frames of one type received so far. */
  all(type: string): Array<Record<string, any>> {
    return this.frames.filter((frame) => frame.type === type);
  }

  /** The n-th (0-based) frame of this type, waiting for it if it has not come yet. */
  next(type: string, index = 0, predicate: (frame: Record<string, any>) => boolean = () => true): Promise<Record<string, any>> {
    return this.waitFor(`${type} #${index}`, () => this.all(type).filter(predicate)[index]);
  }

  /** The `hello` nonce of this socket (after `hello` came). */
  get nonce(): string {
    return this.all('hello')[0]!.nonce as string;
  }

  /** The first frame received at or after position `from` that matches, waiting for it. */
  nextFrom(from: number, what: string, predicate: (frame: Record<string, any>) => boolean): Promise<Record<string, any>> {
    return this.waitFor(what, () => this.frames.slice(from).find(predicate));
  }

  /** Waits until the relay closes the socket. */
  async waitForClose(): Promise<{ code: number; reason: string }> {
    return this.waitFor('close', () => this.closeInfo);
  }

  private waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`no ${what} within ${WAIT_MS} ms; frames: ${JSON.stringify(this.frames)}; close: ${JSON.stringify(this.closeInfo)}`),
        );
      }, WAIT_MS);
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(value);
        } else if (this.closeInfo && what !== 'close') {
          clearTimeout(timer);
          this.waiters.delete(check);
          reject(
            new Error(
              `socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) before ${what}; frames: ${JSON.stringify(this.frames)}`,
            ),
          );
        }
      };
      this.waiters.add(check);
    });
  }
}

/** An `auth` frame: one credential per entry, each signing the connect statement over `nonce` with its `connectKey`. */
export function authFrame(origin: string, nonce: string, credentials: Array<{ deviceId: string; connectKey: Uint8Array }>) {
  return {
    type: 'auth' as const,
    credentials: credentials.map(({ deviceId, connectKey }) => ({
      deviceId,
      signature: signStatement(connectStatement({ relayOrigin: origin, nonce, deviceId }), connectKey),
    })),
  };
}
