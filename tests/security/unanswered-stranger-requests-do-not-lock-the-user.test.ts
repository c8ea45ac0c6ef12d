import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

const LOCKOUT_AFTER = 3;
const TTL_SECONDS = 30;

/** Issue 10: requests nobody answers counted as the user's failures, so a stranger locked the real user's push sign-in. */
describe('requests a stranger lets expire unanswered', () => {
  it('lock out that stranger’s client only; the real user still gets and approves pushes', async () => {
    const relay = await relayWithDevice({
      env: { TRUST_PROXY: '1' },
      policy: { lockoutAfterFailures: LOCKOUT_AFTER, requestTtlSeconds: TTL_SECONDS },
    });
    const stranger = new ClientAt(relay.origin, '198.51.100.66');
    for (let i = 0; i < LOCKOUT_AFTER; i += 1) {
      const created = await stranger.startSignin({ upn: relay.user.upn });
      expect(created.status).toBe(201);
      await relay.advance(TTL_SECONDS * 1000);
      expect(await stranger.status(created.body)).toBe('expired');
    }
    const locked = await stranger.startSignin({ upn: relay.user.upn });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.error.message).toMatch(/Try again in \d+ (seconds?|minutes?)\./);

    // The administrator sees the failures and the stranger's lock, summed over addresses.
    const details = await relay.http('GET', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, { admin: true });
    expect(details.body.failureCount).toBe(LOCKOUT_AFTER);
    expect(details.body.lockedUntil).toBeGreaterThan(relay.clock.now());

    const owner = new ClientAt(relay.origin, '203.0.113.7');
    const mine = await owner.startSignin({ upn: relay.user.upn });
    expect(mine.status).toBe(201);
    expect((await relay.device.approve(mine.body.requestId, mine.body.number)).outcome).toBe('approved');
    // The owner's success does not unlock the stranger.
    expect((await stranger.startSignin({ upn: relay.user.upn })).status).toBe(429);
  });
});
