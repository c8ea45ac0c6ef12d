import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';
import { WHAT_WORKS, familiarBrowserAt, sameBrowserAt } from './helpers/familiar-browser.ts';

/**
 * Issue 18, the first attack: three stranger addresses each held one of bob's three pending slots
 * (renewed every 120 s), and bob got 429 from his familiar browser too. Now the slots are for
 * unfamiliar clients only: a familiar browser is a client of its own and always gets a slot.
 */
describe('pending slots under strangers', () => {
  it('three strangers cannot keep a familiar browser from signing in', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    const home = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.10');

    const strangers = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) => new ClientAt(relay.origin, ip));
    for (const stranger of strangers) expect((await stranger.startSignin({ upn })).status).toBe(201);
    const fourth = await new ClientAt(relay.origin, '198.51.100.4').startSignin({ upn });
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.reason).toBe('paused');
    expect(fourth.body.error.message).toMatch(WHAT_WORKS);
    expect(fourth.body.error.message).not.toMatch(/device or network/);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);

    // From home, and from a co-worker's network that a stranger shares: the cookie is the client.
    for (const browser of [home, sameBrowserAt(home, '198.51.100.1')]) {
      const mine = await browser.startSignin({ upn });
      expect(mine.status).toBe(201);
      expect((await relay.device.approve(mine.body.requestId, mine.body.number)).outcome).toBe('approved');
      expect(await browser.complete(mine.body)).toBe(200);
    }
    // The strangers' requests are still pending beside it: nobody's slot was taken away.
    const pending = relay.device.pendingChallenges().filter((challenge) => challenge.account.upn === upn);
    expect(pending.length).toBe(3);
  });

  it('a familiar browser’s newer request supersedes only its own', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    const home = await familiarBrowserAt(relay, relay.device, upn, '203.0.113.10');
    const stranger = new ClientAt(relay.origin, '203.0.113.10');
    const theirs = await stranger.startSignin({ upn });
    const first = await home.startSignin({ upn });
    const second = await home.startSignin({ upn });
    expect([theirs.status, first.status, second.status]).toEqual([201, 201, 201]);
    expect(await home.status(first.body)).toBe('cancelled');
    expect(await stranger.status(theirs.body)).toBe('pending');
  });
});

describe('a familiar-browser cookie', () => {
  it('a familiar cookie replayed from four addresses counts as unfamiliar', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    const home = await familiarBrowserAt(relay, relay.device, upn, '192.0.2.1');
    expect((await home.startSignin({ upn })).status).toBe(201);
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await new ClientAt(relay.origin, ip).startSignin({ upn })).status).toBe(201);
    }
    // Seen from three addresses within the hour (home included), it is still the user's browser...
    for (const ip of ['192.0.2.2', '192.0.2.3']) expect((await sameBrowserAt(home, ip).startSignin({ upn })).status).toBe(201);
    // ...from a fourth it is a stolen cookie on a botnet: as unfamiliar as any stranger, for the hour.
    const replayed = await sameBrowserAt(home, '192.0.2.4').startSignin({ upn });
    expect(replayed.status).toBe(429);
    expect(replayed.body.error.message).toMatch(WHAT_WORKS);
    expect((await home.startSignin({ upn })).status).toBe(429);
    await relay.advance(3_600_000);
    // An hour on, the strangers' requests have expired and the cookie is the user's again.
    expect((await home.startSignin({ upn })).status).toBe(201);
  });

  it('“sign out everywhere” and a password change revoke the user’s familiar cookies', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    const fill = async () => {
      for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await new ClientAt(relay.origin, ip).startSignin({ upn });
    };
    const laptop = await familiarBrowserAt(relay, relay.device, upn, '192.0.2.1');
    await fill();
    expect((await laptop.startSignin({ upn })).status).toBe(201);
    const signout = await relay.http('POST', `/api/v1/admin/users/${encodeURIComponent(upn)}/signout`, { admin: true });
    expect(signout.status).toBe(204);
    expect((await laptop.startSignin({ upn })).status).toBe(429);

    await relay.advance(3_600_000);
    const again = await familiarBrowserAt(relay, relay.device, upn, '192.0.2.1');
    await fill();
    expect((await again.startSignin({ upn })).status).toBe(201);
    const reset = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(upn)}`, {
      admin: true,
      body: { password: 'a-brand-new-password' },
    });
    expect(reset.status).toBe(200);
    expect((await again.startSignin({ upn })).status).toBe(429);
  });
});
