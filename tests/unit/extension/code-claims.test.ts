import { beforeEach, describe, expect, it } from 'vitest';
import { randomId, type ChallengeMessage, type DeviceToRelayMessage, type RelayToDeviceMessage } from '../../../protocol/index.ts';
import type { RelayConnection } from '../../../protocol/device/index.ts';
import type { ActiveAccount, Db, HistoryOutcome, PendingChallenge } from '../../../extension/lib/db.ts';
import { handleRelayFrame, type FrameEffects } from '../../../extension/lib/frame-handler.ts';
import { CodeClaims } from '../../../extension/entrypoints/background/code-claims.ts';
import { claimFailureText, readSigninCode } from '../../../extension/components/enter-code.tsx';
import { freshDb, makeAccount, testWrappingKey } from './helpers.ts';

const RELAY = 'http://127.0.0.1:8787';
const OTHER = 'http://127.0.0.1:9797';
const NOW = Date.now();
const CODE = '12345678';

/** A connected relay socket that records what is sent and lets the test answer. */
class FakeConnection {
  sent: DeviceToRelayMessage[] = [];
  constructor(readonly accepted: string[]) {}
  get ready() {
    return { type: 'ready' as const, accepted: this.accepted, rejected: [] };
  }
  waitUntilReady = async () => true;
  send = (frame: DeviceToRelayMessage) => {
    this.sent.push(frame);
    return true;
  };
}

function codeChallenge(deviceId: string, overrides: Partial<ChallengeMessage> = {}): ChallengeMessage {
  return {
    type: 'challenge',
    requestId: randomId(),
    deviceId,
    account: { upn: 'alice@demo.test', displayName: 'Alice Example' },
    app: { name: 'Payroll' },
    context: { ip: '203.0.113.9', location: 'Berlin, DE', browser: 'Firefox', os: 'Windows' },
    match: { mode: 'code' },
    createdAt: NOW,
    expiresAt: NOW + 120_000,
    ...overrides,
  };
}

describe('sign-in by code in the extension (section 5)', () => {
  let db: Db;
  let alice: ActiveAccount;
  let bob: ActiveAccount;
  let connections: Map<string, FakeConnection>;
  let claims: CodeClaims;
  const arrived: PendingChallenge[] = [];
  const effects: FrameEffects = {
    now: () => NOW,
    challengeArrived: (pending) => void arrived.push(pending),
    challengeSettled: (_id: string, _outcome: HistoryOutcome) => undefined,
    accountsChanged: () => undefined,
    noticeArrived: () => undefined,
    claimedCode: (origin, deviceId) => claims.codeFor(origin, deviceId),
  };
  /** What the worker does with a frame from `origin` (device-service.ts handleFrame). */
  const deliver = async (origin: string, frame: RelayToDeviceMessage) => {
    if (claims.takeError(origin, frame)) return 'ignored';
    const handled = await handleRelayFrame(db, origin, frame, effects);
    claims.challengeHandled(origin, frame);
    return handled;
  };
  /** Waits until the claim frame went out on `origin`'s socket. */
  const claimSent = async (origin: string) => {
    await expect.poll(() => connections.get(origin)!.sent.length, { interval: 1 }).toBeGreaterThan(0);
    return connections.get(origin)!.sent.shift();
  };

  beforeEach(async () => {
    arrived.length = 0;
    db = await freshDb();
    const key = await testWrappingKey();
    alice = (await makeAccount(key, { relayOrigin: RELAY })).account;
    bob = (await makeAccount(key, { relayOrigin: OTHER })).account;
    for (const account of [alice, bob]) await db.put('accounts', account);
    connections = new Map([
      [RELAY, new FakeConnection([alice.deviceId])],
      [OTHER, new FakeConnection([bob.deviceId])],
    ]);
    claims = new CodeClaims({
      connection: (origin) => connections.get(origin) as unknown as RelayConnection,
      readyTimeoutMs: 10,
      now: () => NOW,
    });
  });

  it('claims with each account in turn until one relay answers with the request, which is stored with the typed code', async () => {
    const result = claims.claim(CODE, [bob, alice]);
    expect(await claimSent(OTHER)).toEqual({ type: 'claim', deviceId: bob.deviceId, code: CODE });
    await deliver(OTHER, { type: 'error', code: 'not_found', message: 'No sign-in is waiting for this code.', deviceId: bob.deviceId });
    expect(await claimSent(RELAY)).toEqual({ type: 'claim', deviceId: alice.deviceId, code: CODE });
    const challenge = codeChallenge(alice.deviceId);
    expect(await deliver(RELAY, challenge)).toBe('stored');
    expect(await result).toEqual({ ok: true, requestId: challenge.requestId, upn: alice.upn });
    expect((await db.get('pending', challenge.requestId))?.code).toBe(CODE);
    expect(arrived.map((pending) => pending.code)).toEqual([CODE]);
  });

  it('says not_found when no account has the code, and rate_limited when every relay that answered refuses more', async () => {
    const unknown = claims.claim(CODE, [alice]);
    await claimSent(RELAY);
    await deliver(RELAY, { type: 'error', code: 'not_found', message: 'x', deviceId: alice.deviceId });
    expect(await unknown).toMatchObject({ ok: false, code: 'not_found' });

    const limited = claims.claim(CODE, [alice]);
    await claimSent(RELAY);
    await deliver(RELAY, { type: 'error', code: 'rate_limited', message: 'x', deviceId: alice.deviceId });
    expect(await limited).toMatchObject({ ok: false, code: 'rate_limited' });
  });

  it('a code challenge that nobody here typed a code for is ignored (it could not be approved)', async () => {
    expect(await deliver(RELAY, codeChallenge(alice.deviceId))).toBe('ignored');
    expect(await db.getAll('pending')).toEqual([]);
  });

  it('a request that arrives already expired is reported as expired', async () => {
    const result = claims.claim(CODE, [alice]);
    await claimSent(RELAY);
    await deliver(RELAY, codeChallenge(alice.deviceId, { expiresAt: NOW - 1 }));
    expect(await result).toEqual({ ok: false, code: 'expired' });
  });

  it('reads "1234 5678" and "1234-5678" as the 8 digits, and nothing else', () => {
    expect(readSigninCode('1234 5678')).toBe(CODE);
    expect(readSigninCode(' 1234-5678 ')).toBe(CODE);
    expect(readSigninCode('1234 567')).toBeNull();
    expect(readSigninCode('1234 56789')).toBeNull();
    expect(claimFailureText({ ok: false, code: 'not_found' })).toMatch(
      /^That code is not waiting on any of your accounts\. Check the 8 digits on the sign-in page\./,
    );
  });
});
