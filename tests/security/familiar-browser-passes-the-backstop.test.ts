import { describe, expect, it } from 'vitest';
import { unfamiliarClientShare } from '../../relay-server/signin/signin-service.ts';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';
import { WHAT_WORKS, sameBrowserAt } from './helpers/familiar-browser.ts';

const PER_HOUR = 8;

/**
 * Issue 10, item 1, as revision 3 has it: behind the per-client limits the per-user cap on pushes
 * from unfamiliar clients (`maxUnfamiliarPushesPerHour`) lets only familiar browsers ask once
 * strangers have spent it: the real user, from their own browser, can always sign in while
 * strangers at many addresses spam their name.
 */
describe('the per-user cap on unfamiliar pushes', () => {
  it('refuses unfamiliar browsers once strangers everywhere have spent it, and lets the user’s own browser through', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { maxUnfamiliarPushesPerHour: PER_HOUR } });
    // The owner signed in from this browser before: it holds the signed familiar-browser cookie.
    const laptop = new ClientAt(relay.origin, '203.0.113.7');
    const first = await laptop.startSignin({ upn: relay.user.upn });
    expect((await relay.device.approve(first.body.requestId, first.body.number)).outcome).toBe('approved');
    expect(await laptop.complete(first.body)).toBe(200);
    expect(laptop.cookies.has('countersign_familiar')).toBe(true);

    // Strangers at many addresses each spend their own share until the user's cap is spent (the
    // laptop's first sign-in, unfamiliar then, counted too; each cancels, so the pending cap is
    // not what stops them).
    let spent = 1;
    for (let i = 1; spent < PER_HOUR; i += 1) {
      const stranger = new ClientAt(relay.origin, `198.51.100.${i}`);
      for (let j = 0; j < unfamiliarClientShare(PER_HOUR) && spent < PER_HOUR; j += 1, spent += 1) {
        const created = await stranger.startSignin({ upn: relay.user.upn });
        expect(created.status).toBe(201);
        expect(await stranger.cancel(created.body)).toBe(200);
      }
    }
    const unfamiliar = await new ClientAt(relay.origin, '198.51.100.200').startSignin({ upn: relay.user.upn });
    expect(unfamiliar.status).toBe(429);
    expect(unfamiliar.body.error.message).toMatch(WHAT_WORKS);
    expect(Number(unfamiliar.headers.get('retry-after'))).toBeGreaterThan(0);

    // A forged or someone else's cookie does not pass.
    const forger = new ClientAt(relay.origin, '198.51.100.201');
    const parts = laptop.cookies.get('countersign_familiar')!.split('.');
    forger.cookies.set('countersign_familiar', [...parts.slice(0, 3), 'A'.repeat(43)].join('.'));
    expect((await forger.startSignin({ upn: relay.user.upn })).status).toBe(429);

    // The owner's own browser, now on another network, still may ask.
    const onTheTrain = sameBrowserAt(laptop, '192.0.2.99');
    const mine = await onTheTrain.startSignin({ upn: relay.user.upn });
    expect(mine.status).toBe(201);
    expect((await relay.device.approve(mine.body.requestId, mine.body.number)).outcome).toBe('approved');
    expect(await onTheTrain.complete(mine.body)).toBe(200);
  });
});
