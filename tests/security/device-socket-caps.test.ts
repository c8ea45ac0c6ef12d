import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type WebSocket } from 'ws';
import { DEFAULT_SOCKET_LIMITS } from '../../relay-server/hub/device-hub.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { RawDeviceSocket, authFrame } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay, WAIT_MS } from '../integration/helpers/test-relay.ts';
import { probeDeviceSocket } from './helpers/socket-probe.ts';

/**
 * The attack: 1,500 unauthenticated sockets from one address, each with an unfinished 1 MB frame,
 * took the relay from 152 to 1,660 MiB. Now one address holds at most 32 unauthenticated sockets
 * and opens at most 20 a second (burst 40); the rest are closed with 4429 before any `hello`, and
 * a frame over 16 KiB is refused from its header.
 */

describe('device sockets per client address', () => {
  it('closes the 33rd unauthenticated socket from one address with 4429, and every one after it of 200', async () => {
    const relay = await startTestRelay();
    const sockets: WebSocket[] = [];
    try {
      expect(DEFAULT_SOCKET_LIMITS.unauthenticatedPerClient).toBe(32);
      for (let i = 0; i < 32; i++) {
        const opened = await probeDeviceSocket(relay.origin);
        expect(opened.firstFrame).toBe('hello');
        sockets.push(opened.socket);
      }
      const thirtyThird = await probeDeviceSocket(relay.origin);
      sockets.push(thirtyThird.socket);
      expect(thirtyThird).toMatchObject({ closeCode: 4429 });
      expect(thirtyThird.firstFrame).toBeUndefined();
      // A client-supplied X-Forwarded-For (no trusted proxy here) buys no fresh allowance.
      const rest = await Promise.all(
        Array.from({ length: 167 }, (_, i) => probeDeviceSocket(relay.origin, { 'x-forwarded-for': `198.51.100.${i}` })),
      );
      sockets.push(...rest.map((r) => r.socket));
      expect(rest.map((r) => r.closeCode)).toEqual(rest.map(() => 4429));
      expect(relay.running.relay.hub.openSockets).toBe(32);
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });

  it('frees a place when a socket authenticates or closes', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const sockets = await Promise.all(Array.from({ length: 32 }, () => RawDeviceSocket.open(relay.origin)));
    await Promise.all(sockets.map((raw) => raw.next('hello')));
    expect((await probeDeviceSocket(relay.origin)).closeCode).toBe(4429);

    const first = sockets[0]!;
    first.send(authFrame(relay.origin, (await first.next('hello')).nonce, [keys]));
    expect((await first.next('ready')).accepted).toEqual([keys.deviceId]);
    const afterAuth = await probeDeviceSocket(relay.origin);
    expect(afterAuth.firstFrame).toBe('hello');

    afterAuth.socket.close();
    sockets[1]!.socket.close();
    await sockets[1]!.waitForClose();
    // The relay sees both closes a moment later; wait for it.
    await expect.poll(() => relay.running.relay.hub.openSockets, { timeout: WAIT_MS, interval: 5 }).toBeLessThanOrEqual(31);
    expect((await probeDeviceSocket(relay.origin)).firstFrame).toBe('hello');
  });

  it('allows 40 new sockets at once from one address, then 20 a second', async () => {
    const relay = await startTestRelay();
    // Authenticated sockets, so only the rate of new ones counts; 4 per device at most (section 4),
    // one device per user so the cap per user stays out of the way.
    const total = DEFAULT_SOCKET_LIMITS.newBurstPerClient + DEFAULT_SOCKET_LIMITS.newPerSecondPerClient;
    const devices = await Promise.all(
      Array.from({ length: Math.ceil(total / LIMITS.maxSocketsPerDevice) }, async () => pairKeys(relay, (await relay.createUser()).upn)),
    );
    let opened = 0;
    const authenticate = async () => {
      const keys = devices[opened++ % devices.length]!;
      const { ready } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
      expect(ready.accepted).toEqual([keys.deviceId]);
    };
    for (let i = 0; i < DEFAULT_SOCKET_LIMITS.newBurstPerClient; i++) await authenticate();
    expect((await probeDeviceSocket(relay.origin)).closeCode).toBe(4429);
    relay.clock.advance(1_000);
    for (let i = 0; i < DEFAULT_SOCKET_LIMITS.newPerSecondPerClient; i++) await authenticate();
    expect((await probeDeviceSocket(relay.origin)).closeCode).toBe(4429);
  });

  it('refuses an unfinished frame announced as 1 MiB from its header with 4413, before auth', async () => {
    const relay = await startTestRelay();
    expect(LIMITS.frameBytes).toBe(16 * 1024);
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    // A masked text frame that says 1 MiB follows, then only 1 KiB of it: `ws` must not wait for the rest.
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(1024 * 1024), 2);
    header.writeUInt32BE(0x01020304, 10);
    const tcp = (raw.socket as unknown as { _socket: Socket })._socket;
    tcp.write(Buffer.concat([header, Buffer.alloc(1024, 0x61)]));
    expect((await raw.waitForClose()).code).toBe(4413);
    await expect.poll(() => relay.running.relay.hub.openSockets, { timeout: WAIT_MS, interval: 5 }).toBe(0);
  });
});
