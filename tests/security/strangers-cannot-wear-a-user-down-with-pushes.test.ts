import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';
import { WHAT_WORKS, familiarBrowserAt } from './helpers/familiar-browser.ts';

/**
 * Issue 18: strangers who cancel their own requests delivered 50 pushes to one person in 10
 * minutes. Now unfamiliar clients together get `maxUnfamiliarPushesPerHour` (cancelled and
 * superseded ones counted), each of them at most a quarter; the user's familiar browser is
 * never held back by them.
 */
describe('pushes from unfamiliar clients', () => {
  it('push budget per unfamiliar client: a quarter of the hourly cap each, the cap for all, a familiar browser beside them', async () => {
    // A share of floor(9 / 4) = 2 each; the home browser's first sign-in (unfamiliar then) is the 9th.
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { maxUnfamiliarPushesPerHour: 9 } });
    const upn = relay.user.upn;
    const home = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.10');
    const strangers = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'].map((ip) => new ClientAt(relay.origin, ip));
    for (const stranger of strangers) {
      // Each asks and cancels at once, then asks again: both pushes reached the person and count.
      for (let i = 0; i < 2; i += 1) {
        const created = await stranger.startSignin({ upn });
        expect(created.status).toBe(201);
        expect(await stranger.cancel(created.body)).toBe(200);
      }
      const third = await stranger.startSignin({ upn });
      expect(third.status).toBe(429);
      expect(third.body.error.message).toMatch(WHAT_WORKS);
    }
    const fifth = await new ClientAt(relay.origin, '198.51.100.5').startSignin({ upn });
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.reason).toBe('paused');
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(3000);

    const mine = await home.startSignin({ upn });
    expect(mine.status).toBe(201);
    // A sign-in by code pushes nothing, so the cap on pushes does not stand in its way.
    const byCode = await new ClientAt(relay.origin, '198.51.100.6').startSignin({ upn, by: 'code' });
    expect(byCode.status, JSON.stringify(byCode.body)).toBe(201);

    await relay.advance(3_600_000 + 1_000);
    expect((await strangers[0]!.startSignin({ upn })).status).toBe(201);
  });

  it('failures lock that client out for that user for 15 minutes, and no one else', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { lockoutAfterFailures: 1 } });
    const upn = relay.user.upn;
    const home = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.10');
    const stranger = new ClientAt(relay.origin, '198.51.100.1');
    const created = await stranger.startSignin({ upn });
    expect((await relay.device.deny(created.body.requestId)).outcome).toBe('denied');
    const locked = await stranger.startSignin({ upn });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(15 * 60);
    expect(locked.body.error.message).toMatch(/paused/);
    // The home browser denying one of its own would lock only itself; a stranger's denial locks nobody else.
    expect((await home.startSignin({ upn })).status).toBe(201);
    expect((await new ClientAt(relay.origin, '198.51.100.2').startSignin({ upn })).status).toBe(201);
    await relay.advance(15 * 60_000);
    expect((await stranger.startSignin({ upn })).status).toBe(201);
  });

  it('a report pauses unfamiliar clients only, revokes the reported browser’s cookie, and the admin call clears it', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    const laptop = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.10');
    const phoneBrowser = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.11');
    // Someone with the laptop's cookie asks; the person reports it.
    const reported = await laptop.startSignin({ upn });
    expect((await relay.device.report(reported.body.requestId)).outcome).toBe('reported');

    const stranger = await new ClientAt(relay.origin, '198.51.100.1').startSignin({ upn });
    expect(stranger.status).toBe(429);
    expect(stranger.body.error.reason).toBe('push_blocked');
    expect(stranger.body.error.message).toMatch(WHAT_WORKS);
    expect(stranger.body.error.message).not.toMatch(/report/i);
    expect((await laptop.startSignin({ upn })).status).toBe(429);
    expect((await phoneBrowser.startSignin({ upn })).status).toBe(201);
    // Signing in by code still works from anywhere.
    expect((await new ClientAt(relay.origin, '198.51.100.2').startSignin({ upn, by: 'code' })).status).toBe(201);

    const cleared = await relay.http('DELETE', `/api/v1/admin/users/${encodeURIComponent(upn)}/blocks`, { admin: true });
    expect(cleared.status).toBe(204);
    expect((await new ClientAt(relay.origin, '198.51.100.1').startSignin({ upn })).status).toBe(201);
  });
});
