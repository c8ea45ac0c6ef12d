import { describe, expect, it } from 'vitest';
import { type WebSocket } from 'ws';
import { EVENT_STREAM_LIMITS } from '../../relay-server/http/event-stream-caps.ts';
import { DEFAULT_SOCKET_LIMITS } from '../../relay-server/hub/device-hub.ts';
import { relayWithDevice, startTestRelay } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';
import { probeDeviceSocket } from './helpers/socket-probe.ts';

/**
 * docs/protocol.md section 1: "Aggregate caps also count an IPv6 /48 as one client." A site holds
 * a whole /48 (65,536 /64s), so a share of a relay-wide resource keyed by /64 would let one site
 * take all of it. Each test comes from many /64s of one /48 through X-Forwarded-For (TRUST_PROXY=1)
 * and checks that another /48 is untouched.
 */

/** An address in the /64 number `subnet` of the /48 `site` (both small integers). */
const inSite = (site: number, subnet: number) => `2001:db8:${site.toString(16)}:${subnet.toString(16)}::1`;

describe('an IPv6 /48 is one client for aggregate caps', () => {
  it('unauthenticated sockets: 32 from 32 /64s of one /48 fill its allowance, another /48 still connects', async () => {
    const relay = await startTestRelay({ env: { TRUST_PROXY: '1' } });
    const sockets: WebSocket[] = [];
    try {
      expect(DEFAULT_SOCKET_LIMITS.unauthenticatedPerClient).toBe(32);
      for (let subnet = 0; subnet < 32; subnet += 1) {
        const opened = await probeDeviceSocket(relay.origin, { 'x-forwarded-for': inSite(0xa, subnet) });
        sockets.push(opened.socket);
        expect(opened.firstFrame).toBe('hello');
      }
      const next = await probeDeviceSocket(relay.origin, { 'x-forwarded-for': inSite(0xa, 0xffff) });
      sockets.push(next.socket);
      expect(next.closeCode).toBe(4429);
      const elsewhere = await probeDeviceSocket(relay.origin, { 'x-forwarded-for': inSite(0xb, 1) });
      sockets.push(elsewhere.socket);
      expect(elsewhere.firstFrame).toBe('hello');
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });

  it('event streams: 64 streams from 16 /64s of one /48 fill its share, another /48 still gets one', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    expect(EVENT_STREAM_LIMITS.perClient).toBe(64);
    const upn = relay.user.upn;
    const streams: { close(): void }[] = [];
    try {
      // Sign-ins by code: one pending request per client, and no per-user cap on unfamiliar clients.
      for (let subnet = 0; subnet < 16; subnet += 1) {
        const client = new ClientAt(relay.origin, inSite(0xa, subnet));
        const created = await client.startSignin({ upn, by: 'code' });
        expect(created.status).toBe(201);
        for (let i = 0; i < EVENT_STREAM_LIMITS.perRequest; i += 1) {
          const stream = await client.openStream(created.body);
          streams.push(stream);
          expect(stream.status).toBe(200);
        }
      }
      const sameSite = new ClientAt(relay.origin, inSite(0xa, 0xbeef));
      const refused = await sameSite.openStream((await sameSite.startSignin({ upn, by: 'code' })).body);
      streams.push(refused);
      expect(refused.status).toBe(429);

      const otherSite = new ClientAt(relay.origin, inSite(0xb, 1));
      const accepted = await otherSite.openStream((await otherSite.startSignin({ upn, by: 'code' })).body);
      streams.push(accepted);
      expect(accepted.status).toBe(200);
    } finally {
      for (const stream of streams) stream.close();
    }
  }, 60_000);

  it('OpenID Connect authorization requests: 60 a minute from one /48, whichever /64s send them', async () => {
    const relay = await startTestRelay({ env: { TRUST_PROXY: '1' } });
    const auth = '/oidc/auth?client_id=demo&response_type=code&scope=openid&redirect_uri=http%3A%2F%2Fexample.invalid%2Fcb';
    for (let i = 0; i < 60; i += 1) {
      const answer = await new ClientAt(relay.origin, inSite(0xa, i)).get(auth);
      expect(answer.status).not.toBe(429);
    }
    expect((await new ClientAt(relay.origin, inSite(0xa, 0xffff)).get(auth)).status).toBe(429);
    expect((await new ClientAt(relay.origin, inSite(0xb, 1)).get(auth)).status).not.toBe(429);
  }, 60_000);
});
