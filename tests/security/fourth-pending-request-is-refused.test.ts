import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

const TTL_SECONDS = 120;

/**
 * docs/protocol.md section 5 (revision 3): requests from different clients stay pending side by
 * side; unfamiliar clients together hold at most 3 per user (a familiar browser always gets a
 * slot of its own: three-strangers-cannot-keep-a-familiar-browser-from-signing-in.test.ts).
 */
describe('a fourth pending request from a fourth unfamiliar client', () => {
  it('is 429 with Retry-After until one of the three is settled, and the three stay pending', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { requestTtlSeconds: TTL_SECONDS } });
    const clients = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'].map((ip) => new ClientAt(relay.origin, ip));
    const opened = [];
    for (const client of clients.slice(0, 3)) {
      const created = await client.startSignin({ upn: relay.user.upn });
      expect(created.status).toBe(201);
      opened.push(created.body);
    }
    const fourth = await clients[3]!.startSignin({ upn: relay.user.upn });
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe('rate_limited');
    expect(Number(fourth.headers.get('retry-after'))).toBe(TTL_SECONDS);
    expect(fourth.body.error.message).toMatch(/Try again in 2 minutes\./);
    expect(fourth.body.error.message).toMatch(/sign in with a code/);
    for (const [i, created] of opened.entries()) expect(await clients[i]!.status(created)).toBe('pending');

    // An IPv6 client is one client per /64: another address in the same /64 supersedes, it does not add.
    expect(await clients[0]!.cancel(opened[0])).toBe(200);
    const v6 = new ClientAt(relay.origin, '2001:db8:aa:bb::1');
    const v6First = await v6.startSignin({ upn: relay.user.upn });
    expect(v6First.status).toBe(201);
    const sameSlash64 = new ClientAt(relay.origin, '2001:db8:aa:bb:ffff::2');
    expect((await sameSlash64.startSignin({ upn: relay.user.upn })).status).toBe(201);
    expect(await v6.status(v6First.body)).toBe('cancelled');
    expect((await clients[3]!.startSignin({ upn: relay.user.upn })).status).toBe(429);
  });
});
