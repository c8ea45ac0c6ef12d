import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_BLOCKED_MESSAGE } from '../../relay-server/signin/push-blocked.ts';
import { ADD_AUTHENTICATOR_URL } from '../../relay-server/signin/signin-page-routes.tsx';
import { relayWithDevice } from './helpers/test-relay.ts';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './pages/page-browser.ts';

/**
 * Issue 12: what the sign-in pages and the API say when a request is refused (blocked after a
 * report, or a limit), where a Temporary Access Pass leads, and what the number screen offers
 * after a password.
 */

describe('POST /api/v1/signins refused', () => {
  it('after "It wasn\'t me": 429 rate_limited with reason push_blocked and words that name the administrator', async () => {
    const relay = await relayWithDevice();
    const reported = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((challenge) => challenge.requestId === reported.requestId);
    expect((await relay.device.report(reported.requestId)).outcome).toBe('reported');

    const answer = await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } });
    expect(answer.status).toBe(429);
    expect(answer.body).toEqual({ error: { code: 'rate_limited', message: PUSH_BLOCKED_MESSAGE, reason: 'push_blocked' } });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a spent budget is a plain rate_limited (no reason) whose message and Retry-After say when to try again', async () => {
    const relay = await relayWithDevice({ policy: { maxPushesPer10Min: 1 } });
    await relay.signin.createSignin({ upn: relay.user.upn });
    const answer = await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } });
    expect(answer.status).toBe(429);
    expect(answer.body.error).toEqual({ code: 'rate_limited', message: expect.stringMatching(/Try again in 10 minutes\.$/) });
    expect(answer.headers.get('retry-after')).toBe('600');
  });
});

describe('the password page', () => {
  let env: Awaited<ReturnType<typeof pageRelay>>;
  beforeAll(async () => {
    env = await pageRelay();
  });
  afterAll(async () => env.close());

  async function pairDevice(upn: string) {
    const user = (await env.relay.store.users.byUpn(upn))!;
    const offer = await env.relay.store.pairings.create(user.id, env.clock.now(), 60_000);
    const redeemed = await env.relay.store.pairings.redeem(
      offer.token,
      { name: 'Test laptop', publicKey: 'unused', connectPublicKey: 'unused-too' },
      env.clock.now(),
    );
    if (!redeemed.ok) throw new Error(redeemed.code);
    return { user, device: redeemed.device };
  }

  /** Runs `body` with the policy changed, then puts it back. */
  async function withPolicy(changes: object, body: () => Promise<void>) {
    const policy = await env.relay.store.policy.get();
    await env.relay.store.policy.put({ ...policy, ...changes }, env.clock.now());
    try {
      await body();
    } finally {
      await env.relay.store.policy.put(policy, env.clock.now());
    }
  }

  it('sends a Temporary Access Pass sign-in straight to adding an authenticator', async () => {
    const user = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const tap = await env.relay.store.taps.issue(user.id, 60 * 60_000, true, env.clock.now());
    env.clock.advance(1000);
    const response = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', tap.code);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(ADD_AUTHENTICATOR_URL);
  });

  it('after a password, shows the number with no password link and a way out that starts empty', async () => {
    const { device } = await pairDevice('alice@demo.test');
    await withPolicy({ mode: 'push' }, async () => {
      const browser = pageBrowser(env.relay, ORIGIN);
      const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
      expect(response.status).toBe(200);
      expect(testIdText(browser.lastHtml, 'match-number')).toMatch(/^\d+$/);
      expect(browser.lastHtml).not.toContain('Use your password instead');
      expect(browser.lastHtml).toContain('data-change-user-url="/signin/password?app=demo"');
      await env.relay.signins.expireDue();
    });
    await env.relay.store.devices.remove(device.id);
  });

  it('says the account is blocked after a report, and who can unblock it', async () => {
    const { user, device } = await pairDevice('alice@demo.test');
    await env.relay.store.users.setPushBlocked(user.id, true);
    try {
      await withPolicy({ mode: 'push' }, async () => {
        const browser = pageBrowser(env.relay, ORIGIN);
        const response = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
        expect(response.status).toBe(429);
        // Issue 23: the right password shows it is the person, who is told what happened and who
        // can clear it; someone who typed only the name hears that requests are paused.
        const said = testIdText(browser.lastHtml, 'password-error');
        expect(said).toMatch(/^Your password was right, but sign-in requests to your account are paused because someone answered/);
        expect(said).toContain('It wasn’t me');
        expect(said).toContain('Only an administrator can clear this');
        expect(said).toContain('sign in with a code');
      });
    } finally {
      await env.relay.store.users.setPushBlocked(user.id, false);
      await env.relay.store.devices.remove(device.id);
    }
  });

  it('says when to try again when the approval budget is spent', async () => {
    const { device } = await pairDevice('alice@demo.test');
    // Earlier tests' pushes leave the 10-minute window.
    env.clock.advance(11 * 60_000);
    try {
      await withPolicy({ mode: 'push', maxPushesPer10Min: 1 }, async () => {
        const browser = pageBrowser(env.relay, ORIGIN);
        expect((await browser.signInWithPassword('alice@demo.test', 'countersign-demo')).status).toBe(200);
        const refused = await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('600');
        expect(testIdText(browser.lastHtml, 'password-error')).toMatch(/^Your password was right, but .* Try again in 10 minutes\.$/);
      });
    } finally {
      await env.relay.store.devices.remove(device.id);
    }
  });
});
