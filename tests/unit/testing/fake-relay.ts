import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { randomId } from '../../../protocol/index.ts';
import { WaitQueue, redeemed, type RelayEnd } from '../protocol/device-core-suite.ts';

/**
 * Just enough of a relay to drive the virtual device: a raw `ws` server on 127.0.0.1, port 0,
 * whose sockets the test plays frame by frame, and a fetch that plays the pairing endpoint.
 */

export interface FakeConnection extends RelayEnd {
  socket: WebSocket;
  url: string | undefined;
  /** Sends hello with a fresh nonce (the relay does that as soon as the socket opens). */
  hello(): string;
}

export class FakeRelay {
  private readonly connections = new WaitQueue<FakeConnection>('socket from the device');
  opened = 0;

  private constructor(
    readonly server: WebSocketServer,
    readonly origin: string,
  ) {
    server.on('connection', (socket, request) => {
      this.opened += 1;
      const received = new WaitQueue<Record<string, unknown>>('frame from the device');
      const closed = new WaitQueue<number>('close by the device');
      // Binary frames are queued as their bytes, so tests can tell them from text.
      socket.on('message', (data, isBinary) =>
        received.push(isBinary ? { binary: [...(data as Buffer)] } : (JSON.parse(String(data)) as Record<string, unknown>)),
      );
      socket.on('close', (code) => closed.push(code));
      const send = (frame: unknown) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      this.connections.push({
        socket,
        url: request.url,
        send,
        next: () => received.next(),
        close: (code, reason) => socket.close(code, reason),
        closedByDevice: () => closed.next(),
        hello() {
          const nonce = randomId();
          send({ type: 'hello', nonce, serverTime: Date.now() });
          return nonce;
        },
      });
    });
  }

  /** A relay that stops when the test finishes. */
  static async start(): Promise<FakeRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const relay = new FakeRelay(server, `http://127.0.0.1:${port}`);
    onTestFinished(() => relay.stop());
    return relay;
  }

  nextConnection(): Promise<FakeConnection> {
    return this.connections.next();
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A fetch that plays the relay's pairing endpoint, recording what the device sent. */
export function fakeRedeem(answer: (body: Record<string, unknown>) => { status: number; body: unknown } = (body) => redeemed(body)) {
  const requests: Array<{ url: string; body: Record<string, string> }> = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const sent = JSON.parse(String(init?.body)) as Record<string, string>;
    requests.push({ url: String(url), body: sent });
    const { status, body } = answer(sent);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}
