import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RelayToDeviceMessage } from '../../../protocol/index.ts';
import { RelaySocket, connectUrl, reconnectDelayMs, type ConnectionState, type WebSocketLike } from '../../../extension/lib/relay-socket.ts';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | undefined;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number) {
    this.closedWith = code;
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  serverClose(code: number) {
    this.onclose?.({ code });
  }
}

const ORIGIN = 'http://127.0.0.1:8787';
const DEVICE = 'd'.repeat(22);

function setup(credentials = [{ deviceId: DEVICE, signature: 's'.repeat(86) }]) {
  const sockets: FakeSocket[] = [];
  const frames: RelayToDeviceMessage[] = [];
  const states: ConnectionState[] = [];
  const refused: number[] = [];
  const socket = new RelaySocket(ORIGIN, {
    createSocket: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake;
    },
    credentials: async () => credentials,
    onReady: () => undefined,
    onFrame: (frame) => void frames.push(frame),
    onRefused: (code) => void refused.push(code),
    onStateChange: (state) => void states.push(state),
    random: () => 0.5,
    now: () => Date.now(),
  });
  return { socket, sockets, frames, states, refused };
}

async function flush() {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

async function handshake(fake: FakeSocket) {
  fake.receive({ type: 'hello', nonce: 'n'.repeat(22), serverTime: 1 });
  await flush();
  fake.receive({ type: 'ready', accepted: [DEVICE], rejected: [] });
  await flush();
}

describe('RelaySocket', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('connects to the device endpoint and answers hello with every credential', async () => {
    const { socket, sockets, states } = setup();
    socket.ensure();
    expect(sockets[0]!.url).toBe('ws://127.0.0.1:8787/api/v1/devices/connect');
    await handshake(sockets[0]!);
    expect(sockets[0]!.sent[0]).toEqual({ type: 'auth', credentials: [{ deviceId: DEVICE, signature: 's'.repeat(86) }] });
    expect(socket.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('opens only one socket however often it is asked', () => {
    const { socket, sockets } = setup();
    socket.ensure();
    socket.ensure();
    expect(sockets).toHaveLength(1);
  });

  it('answers ping with pong carrying the same t', async () => {
    const { socket, sockets } = setup();
    socket.ensure();
    await handshake(sockets[0]!);
    sockets[0]!.receive({ type: 'ping', t: 42 });
    await flush();
    expect(sockets[0]!.sent.at(-1)).toEqual({ type: 'pong', t: 42 });
  });

  it('passes valid account frames on, in order, and drops invalid ones', async () => {
    const { socket, sockets, frames } = setup();
    socket.ensure();
    await handshake(sockets[0]!);
    sockets[0]!.receive('not json');
    sockets[0]!.receive({ type: 'cancel', requestId: 'short', reason: 'expired' });
    sockets[0]!.receive({ type: 'revoked', deviceId: DEVICE });
    sockets[0]!.receive({ type: 'result', requestId: 'r'.repeat(22), outcome: 'approved' });
    await flush();
    expect(frames.map((frame) => frame.type)).toEqual(['revoked', 'result']);
  });

  it('reconnects after an unexpected close, with one timer however often the watchdog fires', async () => {
    const { socket, sockets } = setup();
    socket.ensure();
    await handshake(sockets[0]!);
    sockets[0]!.serverClose(1006);
    expect(socket.state).toBe('reconnecting');
    socket.ensure();
    socket.ensure();
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(reconnectDelayMs(0, 0.5));
    expect(sockets).toHaveLength(2);
  });

  it('does not loop after 4401 or 4403', async () => {
    for (const code of [4401, 4403]) {
      const { socket, sockets, refused } = setup();
      socket.ensure();
      sockets[0]!.serverClose(code);
      expect(socket.state).toBe('error');
      expect(refused).toEqual([code]);
      vi.advanceTimersByTime(10 * 60_000);
      socket.ensure();
      expect(sockets).toHaveLength(1);
      socket.retry();
      expect(sockets).toHaveLength(2);
    }
  });

  it('stays closed when it has no credential to offer', async () => {
    const { socket, sockets } = setup([]);
    socket.ensure();
    sockets[0]!.receive({ type: 'hello', nonce: 'n'.repeat(22), serverTime: 1 });
    await flush();
    expect(sockets[0]!.sent).toEqual([]);
    expect(socket.state).toBe('error');
  });

  it('resolves waitUntilReady once ready arrives', async () => {
    const { socket, sockets } = setup();
    const ready = socket.waitUntilReady(5_000);
    await handshake(sockets[0]!);
    await expect(ready).resolves.toBe(true);
  });
});

describe('reconnectDelayMs()', () => {
  it('grows exponentially with jitter up to 30 s', () => {
    expect(reconnectDelayMs(0, 0)).toBe(500);
    expect(reconnectDelayMs(0, 1)).toBe(1_000);
    expect(reconnectDelayMs(3, 0)).toBe(4_000);
    expect(reconnectDelayMs(20, 1)).toBe(30_000);
  });

  it('comes back soon but spread out after a relay restart (1012)', () => {
    expect(reconnectDelayMs(5, 0, 1012)).toBe(250);
    expect(reconnectDelayMs(5, 1, 1012)).toBe(3_000);
  });

  it('builds ws and wss URLs from the relay origin', () => {
    expect(connectUrl('https://relay.example')).toBe('wss://relay.example/api/v1/devices/connect');
  });
});
