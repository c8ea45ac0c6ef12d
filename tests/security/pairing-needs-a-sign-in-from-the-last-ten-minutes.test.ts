import { describe, expect, it } from 'vitest';
import { pageBrowser } from '../integration/pages/page-browser.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Section 3 step 1: a pairing is offered only to a sign-in less than 10 minutes old. A browser
 * left signed in (a shared computer, a stolen laptop) must not be able to bind a new
 * authenticator, and with it a new PIN, to the account: it is asked to sign in again.
 */
describe('the add-authenticator offer', () => {
  it('is refused to a session 10 minutes old, which is asked to sign in again, and given to a fresh one', async () => {
    const relay = await startTestRelay();
    const password = 'a-good-password-1';
    const user = await relay.createUser({ password });
    const offers = async () =>
      (await relay.running.relay.store.db.selectFrom('pairing_offers').select('token_hash').where('user_id', '=', user.userId).execute())
        .length;

    const stale = pageBrowser(relay.running.relay, relay.origin);
    expect((await stale.signInWithPassword(user.upn, password)).status).toBe(303);
    await stale.get('/security-info');
    relay.clock.advance(10 * 60_000);
    const refused = await stale.post('/security-info/pairings', {});
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/security-info?signin=stale');
    expect(await (await stale.get('/security-info?signin=stale')).text()).toContain('sign-in from the last 10 minutes');
    expect(await offers()).toBe(0);

    const fresh = pageBrowser(relay.running.relay, relay.origin);
    expect((await fresh.signInWithPassword(user.upn, password)).status).toBe(303);
    await fresh.get('/security-info');
    relay.clock.advance(9 * 60_000);
    const offered = await fresh.post('/security-info/pairings', {});
    expect(offered.headers.get('location')).toBe('/security-info#pairing');
    expect(await offers()).toBe(1);
  });
});
