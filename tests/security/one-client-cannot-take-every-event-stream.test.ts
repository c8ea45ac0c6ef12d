import { describe, expect, it } from 'vitest';
import { EVENT_STREAM_LIMITS } from '../../relay-server/http/event-stream-caps.ts';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

/**
 * Issue 18: one stranger took all 10,000 event streams of the relay (4 per request, over many
 * users), and alice's page, refused a stream, stayed on "pending". Now a client keeps at most 64
 * streams besides 4 per browser token, the total refuses unfamiliar clients only, and a refused
 * page polls the status instead.
 */
describe('event streams from one client', () => {
  it('stream flood: one client gets at most 64 streams, and another person’s stream and status still work', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    expect(EVENT_STREAM_LIMITS.perClient).toBe(64);
    const flooder = new ClientAt(relay.origin, '198.51.100.66');
    const victims = [];
    for (let i = 0; i < 16; i += 1) {
      const user = await relay.createUser();
      await relay.pairDevice(user.upn);
      victims.push(user.upn);
    }
    const streams: { close(): void }[] = [];
    try {
      for (const upn of victims) {
        const created = await flooder.startSignin({ upn });
        expect(created.status).toBe(201);
        for (let i = 0; i < 4; i += 1) {
          const stream = await flooder.openStream(created.body);
          streams.push(stream);
          expect(stream.status).toBe(200);
        }
      }
      const more = await flooder.startSignin({ upn: relay.user.upn });
      const refused = await flooder.openStream(more.body);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);

      const alice = new ClientAt(relay.origin, '203.0.113.5');
      const mine = await alice.startSignin({ upn: relay.user.upn });
      const stream = await alice.openStream(mine.body);
      streams.push(stream);
      expect(stream.status).toBe(200);
      expect((await relay.device.approve(mine.body.requestId, mine.body.number)).outcome).toBe('approved');
      // What the page polls every 2 s when it has no stream.
      expect(await alice.status(mine.body)).toBe('approved');
    } finally {
      for (const stream of streams) stream.close();
    }
  }, 60_000);
});
