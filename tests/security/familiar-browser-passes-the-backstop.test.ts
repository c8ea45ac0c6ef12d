import { describe, expect, it } from 'vitest';
import { PUSH_BACKSTOP_FACTOR } from '../../relay-server/signin/signin-service.ts';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

const BUDGET = 1;

/**
 * Issue 10, item 1: behind the per-client limits a per-user backstop (ten times the budget, from
 * every client together) lets only familiar browsers ask: the real user, from their own browser,
 * can always sign in while strangers at many addresses spam their name.
 */
describe('the per-user push backstop', () => {
  it('refuses unfamiliar browsers once strangers everywhere have spent it, and lets the user’s own browser through', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { maxPushesPer10Min: BUDGET } });
    // The owner signed in from this browser before: it holds the signed familiar-browser cookie.
    const laptop = new ClientAt(relay.origin, '203.0.113.7');
    const first = await laptop.startSignin({ upn: relay.user.upn });
    expect((await relay.device.approve(first.body.requestId, first.body.number)).outcome).toBe('approved');
    expect(await laptop.complete(first.body)).toBe(200);
    expect(laptop.cookies.has('countersign_familiar')).toBe(true);

    // Strangers at many addresses each spend their own budget until the user's backstop is spent
    // (each cancels, so the pending cap is not what stops them).
    const backstop = BUDGET * PUSH_BACKSTOP_FACTOR;
    for (let i = 1; i < backstop; i += 1) {
      const stranger = new ClientAt(relay.origin, `198.51.100.${i}`);
      const created = await stranger.startSignin({ upn: relay.user.upn });
      expect(created.status).toBe(201);
      expect(await stranger.cancel(created.body)).toBe(200);
    }
    const unfamiliar = await new ClientAt(relay.origin, '198.51.100.200').startSignin({ upn: relay.user.upn });
    expect(unfamiliar.status).toBe(429);
    expect(unfamiliar.body.error.message).toMatch(/only browsers it has signed in from before/);
    expect(Number(unfamiliar.headers.get('retry-after'))).toBeGreaterThan(0);

    // A forged or someone else's cookie does not pass.
    const forger = new ClientAt(relay.origin, '198.51.100.201');
    const [userPart, expiry] = laptop.cookies.get('countersign_familiar')!.split('.');
    forger.cookies.set('countersign_familiar', `${userPart}.${expiry}.${'A'.repeat(43)}`);
    expect((await forger.startSignin({ upn: relay.user.upn })).status).toBe(429);

    // The owner's own browser, now on another network (a budget of its own there), still may ask.
    const onTheTrain = new ClientAt(relay.origin, '192.0.2.99');
    for (const [name, value] of laptop.cookies) onTheTrain.cookies.set(name, value);
    const mine = await onTheTrain.startSignin({ upn: relay.user.upn });
    expect(mine.status).toBe(201);
    expect((await relay.device.approve(mine.body.requestId, mine.body.number)).outcome).toBe('approved');
    expect(await onTheTrain.complete(mine.body)).toBe(200);
  });
});
