import { describe, expect, it } from 'vitest';
import { EVENT_STREAM_LIMITS } from '../../relay-server/http/event-stream-caps.ts';
import { relayWithDevice, WAIT_MS } from '../integration/helpers/test-relay.ts';

/**
 * The attack: one browser token opened 4,000 event streams at once. Now a sign-in request keeps
 * at most 4 open (a second tab or a reconnect fits), the relay 10,000 in all, and each refusal is
 * a 429 `rate_limited` with Retry-After.
 */
describe('GET /api/v1/signins/{id}/events caps', () => {
  it('refuses the 5th concurrent stream of one browser token with 429 and Retry-After, and takes one again after a stream closes', async () => {
    const relay = await relayWithDevice();
    const signin = await relay.signin.createSignin({ upn: relay.user.upn });
    const path = `${relay.origin}/api/v1/signins/${signin.requestId}/events`;
    const open = () => {
      const controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), WAIT_MS * 2);
      const response = fetch(path, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${signin.browserToken}` },
        signal: controller.signal,
      });
      return { response, close: () => (clearTimeout(timeout), controller.abort()) };
    };
    expect(EVENT_STREAM_LIMITS.perRequest).toBe(4);
    const streams = Array.from({ length: 4 }, open);
    try {
      expect((await Promise.all(streams.map((s) => s.response))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(relay.running.relay.fanout.waitingBrowsers).toBe(4);

      const fifth = await fetch(path, { headers: { authorization: `Bearer ${signin.browserToken}` } });
      expect(fifth.status).toBe(429);
      expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await fifth.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('rate_limited');
      expect(body.error.message).toMatch(/try again/i);
      expect(relay.running.relay.fanout.waitingBrowsers).toBe(4);

      // Without the token: 401 as ever, never the cap's answer, and no place taken.
      const stranger = await fetch(path, { headers: { authorization: 'Bearer not-the-token' } });
      expect(stranger.status).toBe(401);

      streams[0]!.close();
      await expect.poll(() => relay.running.relay.fanout.waitingBrowsers, { timeout: WAIT_MS, interval: 5 }).toBeLessThanOrEqual(3);
      const again = open();
      streams.push(again);
      expect((await again.response).status).toBe(200);
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});
