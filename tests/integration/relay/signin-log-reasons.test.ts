import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_REASONS, SIGNIN_REASON_WORDS, signinReasonWords, type RefusalReason } from '../../../protocol/signin-reasons.ts';
import { randomId } from '../../../protocol/encoding.ts';
import { relayWithDevice, type RelayWithDevice } from '../helpers/test-relay.ts';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from '../pages/page-browser.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

// Issue 23: a refused request's row in the sign-in log names its real cause (a report's pause, a
// locked client, a spent budget, the password throttle, the caps on unknown places), and the log,
// the admin API and the CSV read those causes from one list of words (protocol/signin-reasons.ts).

async function refusedRows(relay: RelayWithDevice) {
  return (await relay.admin.listSignins({ upn: relay.user.upn })).filter((row) =>
    (REFUSAL_REASONS as readonly string[]).includes(row.reason ?? ''),
  );
}

async function expectRefusalLogged(relay: RelayWithDevice, reason: RefusalReason) {
  const rows = await refusedRows(relay);
  expect(rows.map((row) => row.reason)).toEqual([reason]);
  expect(rows[0]).toMatchObject({ status: 'denied', reason, reasonText: SIGNIN_REASON_WORDS[reason] });
}

const ask = (relay: RelayWithDevice, body: object = {}) =>
  relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn, ...body } });

describe('the sign-in log names why a request was refused', () => {
  it('push_blocked after "It wasn\'t me", not "too many attempts"', async () => {
    const relay = await relayWithDevice();
    const reported = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((challenge) => challenge.requestId === reported.requestId);
    expect((await relay.device.report(reported.requestId)).outcome).toBe('reported');
    expect((await ask(relay)).status).toBe(429);
    await expectRefusalLogged(relay, 'push_blocked');
    expect(SIGNIN_REASON_WORDS.push_blocked).toContain("It wasn't me");
  });

  it('client_locked after too many denied requests from one client', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const first = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((challenge) => challenge.requestId === first.requestId);
    expect((await relay.device.deny(first.requestId)).outcome).toBe('denied');
    expect((await ask(relay)).status).toBe(429);
    await expectRefusalLogged(relay, 'client_locked');
  });

  it('push_budget when one client has spent the 10-minute budget', async () => {
    const relay = await relayWithDevice({ policy: { maxPushesPer10Min: 1 } });
    expect((await ask(relay)).status).toBe(201);
    expect((await ask(relay)).status).toBe(429);
    await expectRefusalLogged(relay, 'push_budget');
  });

  it('unfamiliar_cap when a client has had its share of the hourly pushes from unknown places', async () => {
    // A cap of 4 an hour gives each unfamiliar client one.
    const relay = await relayWithDevice({ policy: { maxUnfamiliarPushesPerHour: 4 } });
    expect((await ask(relay)).status).toBe(201);
    expect((await ask(relay)).status).toBe(429);
    await expectRefusalLogged(relay, 'unfamiliar_cap');
  });

  it('password_throttled when wrong passwords are throttled, and wrong ones stay "Wrong password"', async () => {
    const relay = await relayWithDevice({ password: 'right-password-123' });
    let answer = await ask(relay, { password: 'wrong-password' });
    for (let attempt = 0; attempt < 30 && answer.status === 401; attempt++) answer = await ask(relay, { password: 'wrong-password' });
    expect(answer.status).toBe(429);
    await expectRefusalLogged(relay, 'password_throttled');
    const wrong = (await relay.admin.listSignins({ upn: relay.user.upn })).filter((row) => row.reason === 'invalid_credentials');
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong[0]!.reasonText).toBe('Wrong password');
  });

  it('gives every refusal its own words, and words to codes nobody described', () => {
    const words = REFUSAL_REASONS.map((reason) => signinReasonWords(reason));
    expect(new Set(words).size).toBe(REFUSAL_REASONS.length);
    expect(signinReasonWords(null)).toBeNull();
    expect(signinReasonWords('some_new_code')).toBe('Some new code');
    // An inherited property is not a reason.
    expect(signinReasonWords('constructor')).toBe('Constructor');
  });
});

describe('the admin sign-in log page and its CSV', () => {
  let env: Awaited<ReturnType<typeof pageRelay>>;
  let admin: CookieBrowser;
  beforeAll(async () => {
    env = await pageRelay();
    admin = pageBrowser(env.relay, ORIGIN);
    expect((await admin.signInWithPassword('admin@demo.test', 'countersign-admin')).status).toBe(303);
    const bob = (await env.relay.store.users.byUpn('bob@demo.test'))!;
    const now = env.clock.now();
    for (const reason of REFUSAL_REASONS) {
      await env.relay.store.signins.insert({
        id: randomId(),
        user_id: bob.id,
        upn: bob.upn,
        app_id: null,
        app_name: null,
        ip: '203.0.113.9',
        client_key: '203.0.113.9',
        location: null,
        browser: 'Firefox',
        os: 'Linux',
        method: 'passwordless',
        number: null,
        match_mode: null,
        digits: null,
        choices: null,
        browser_token_hash: null,
        status: 'denied',
        reason,
        device_id: null,
        created_at: now,
        expires_at: now,
        decided_at: now,
        completed_at: null,
      });
    }
  });
  afterAll(async () => env.close());

  it('shows each refusal in the words of protocol/signin-reasons.ts', async () => {
    expect((await admin.get('/admin/signins?upn=bob%40demo.test')).status).toBe(200);
    const shown = [...admin.lastHtml.matchAll(/data-testid="log-reason">\s*([^<]*)</g)].map((match) => match[1]!.trim());
    const unescape = (text: string) => text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
    expect(shown.map(unescape).sort()).toEqual(REFUSAL_REASONS.map((reason) => SIGNIN_REASON_WORDS[reason]).sort());
    expect(admin.lastHtml).not.toContain('Too many attempts');
  });

  it('exports the same words beside each code in the CSV', async () => {
    const csv = await (await admin.get('/admin/signins.csv?upn=bob%40demo.test')).text();
    const lines = csv.trim().split('\r\n');
    const header = lines[0]!.split(',');
    expect(header.indexOf('reasonText')).toBe(header.indexOf('reason') + 1);
    for (const reason of REFUSAL_REASONS) {
      expect(lines.some((line) => line.includes(`"${reason}","${SIGNIN_REASON_WORDS[reason]!.replaceAll('"', '""')}"`))).toBe(true);
    }
  });
});

describe("what people are told about a report's pause", () => {
  let env: Awaited<ReturnType<typeof pageRelay>>;
  beforeAll(async () => {
    env = await pageRelay();
  });
  afterAll(async () => env.close());

  it('tells the person signed in (here with a password) what happened and who can clear it', async () => {
    const alice = (await env.relay.store.users.byUpn('alice@demo.test'))!;
    const browser = pageBrowser(env.relay, ORIGIN);
    expect((await browser.signInWithPassword('alice@demo.test', 'countersign-demo')).status).toBe(303);
    await browser.get('/me');
    expect(testIdText(browser.lastHtml, 'push-paused')).toBeUndefined();

    await env.relay.store.users.setPushBlocked(alice.id, true);
    await browser.get('/me');
    const notice = /data-testid="push-paused"[^>]*>([\s\S]*?)<\/p>/.exec(browser.lastHtml)?.[1] ?? '';
    expect(notice).toContain('It wasn’t me');
    expect(notice).toContain('Only an administrator can clear this');
    await env.relay.store.users.setPushBlocked(alice.id, false);
  });

  it('never tells whoever is on the sign-in page that the account was reported', async () => {
    const page = await (await env.relay.app.request(`${ORIGIN}/signin`)).text();
    const script = await (await env.relay.app.request(`${ORIGIN}/assets/signin-messages.js`)).text();
    expect(script).toContain('Requests from unknown places are paused');
    expect(page).toContain('data-paused-detail="Requests from unknown places are paused for this account. Sign in from a browser');
    for (const said of [page, script]) {
      expect(said).not.toMatch(/was reported|because one was reported|Reported as not you|blocked until an administrator/);
    }
  });
});
