import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

const BUDGET = 5;

/** Issue 10: 5 anonymous push requests spent the user's budget, and each superseded the user's pending request. */
describe('anonymous push requests from one client', () => {
  it('spend only that client’s budget and never supersede the real user’s pending request', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { maxPushesPer10Min: BUDGET } });
    const owner = new ClientAt(relay.origin, '203.0.113.7');
    const stranger = new ClientAt(relay.origin, '198.51.100.66');

    const mine = await owner.startSignin({ upn: relay.user.upn });
    expect(mine.status).toBe(201);
    for (let i = 0; i < BUDGET; i += 1) expect((await stranger.startSignin({ upn: relay.user.upn })).status).toBe(201);
    const refused = await stranger.startSignin({ upn: relay.user.upn });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // The budget frees up ten minutes after the stranger's first request (the clock has not moved).
    expect(Number(refused.headers.get('retry-after'))).toBe(600);
    expect(refused.body.error.message).toMatch(/Try again in 10 minutes\./);

    // The owner's request is still pending, and the owner still has their own budget.
    expect(await owner.status(mine.body)).toBe('pending');
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === mine.body.requestId);
    expect((await relay.device.approve(challenge.requestId, mine.body.number)).outcome).toBe('approved');
    expect((await owner.startSignin({ upn: relay.user.upn })).status).toBe(201);
  });
});
