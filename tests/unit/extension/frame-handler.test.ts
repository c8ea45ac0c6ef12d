import { beforeEach, describe, expect, it } from 'vitest';
import { parse, randomId, RelayToDeviceMessage, type ChallengeMessage } from '../../../protocol/index.ts';
import type { Db, HistoryOutcome, NoticeEntry, PendingChallenge } from '../../../extension/lib/db.ts';
import { handleRelayFrame, sweepExpired, type FrameEffects } from '../../../extension/lib/frame-handler.ts';
import { noticeText } from '../../../extension/lib/notice-text.ts';
import { freshDb, makeAccount, testWrappingKey } from './helpers.ts';

const RELAY = 'http://127.0.0.1:8787';
const NOW = 1_700_000_000_000;

class RecordingEffects implements FrameEffects {
  arrived: PendingChallenge[] = [];
  settled: Array<[string, HistoryOutcome]> = [];
  accountChanges = 0;
  notices: NoticeEntry[] = [];
  time = NOW;
  now = () => this.time;
  challengeArrived = (pending: PendingChallenge) => void this.arrived.push(pending);
  challengeSettled = (requestId: string, outcome: HistoryOutcome) => void this.settled.push([requestId, outcome]);
  accountsChanged = () => void this.accountChanges++;
  noticeArrived = (notice: NoticeEntry) => void this.notices.push(notice);
}

function challengeFor(deviceId: string, overrides: Partial<ChallengeMessage> = {}): ChallengeMessage {
  return {
    type: 'challenge',
    requestId: randomId(),
    deviceId,
    account: { upn: 'alice@demo.test', displayName: 'Alice Example' },
    app: { name: 'Payroll' },
    context: { ip: '203.0.113.9', location: 'Berlin, DE', browser: 'Firefox', os: 'Windows' },
    match: { mode: 'type', digits: 2 },
    createdAt: NOW,
    expiresAt: NOW + 120_000,
    ...overrides,
  };
}

describe('handleRelayFrame()', () => {
  let db: Db;
  let effects: RecordingEffects;
  let deviceId: string;

  beforeEach(async () => {
    db = await freshDb();
    effects = new RecordingEffects();
    const { account } = await makeAccount(await testWrappingKey(), { relayOrigin: RELAY });
    deviceId = account.deviceId;
    await db.put('accounts', account);
  });

  it('stores a challenge and announces it once, even when the relay re-sends it after ready', async () => {
    const challenge = challengeFor(deviceId);
    expect(await handleRelayFrame(db, RELAY, challenge, effects)).toBe('stored');
    expect(await handleRelayFrame(db, RELAY, challenge, effects)).toBe('stored');
    expect(effects.arrived).toHaveLength(1);
    expect((await db.get('pending', challenge.requestId))?.challenge).toEqual(challenge);
  });

  it('ignores a challenge for an unknown account or from another relay', async () => {
    expect(await handleRelayFrame(db, RELAY, challengeFor(randomId()), effects)).toBe('ignored');
    expect(await handleRelayFrame(db, 'http://evil.test', challengeFor(deviceId), effects)).toBe('ignored');
    expect(await db.count('pending')).toBe(0);
  });

  it('ignores a challenge that has already expired', async () => {
    expect(await handleRelayFrame(db, RELAY, challengeFor(deviceId, { expiresAt: NOW - 1 }), effects)).toBe('ignored');
  });

  it('removes a challenge on cancel and records why', async () => {
    const challenge = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, challenge, effects);
    const cancel = { type: 'cancel', requestId: challenge.requestId, reason: 'approved_elsewhere' } as const;
    expect(await handleRelayFrame(db, RELAY, cancel, effects)).toBe('removed');
    expect(await db.get('pending', challenge.requestId)).toBeUndefined();
    expect(effects.settled).toEqual([[challenge.requestId, 'handled_elsewhere']]);
    expect(await db.get('history', challenge.requestId)).toMatchObject({ outcome: 'handled_elsewhere', appName: 'Payroll' });
  });

  it('removes a challenge on result and keeps the decision that was sent', async () => {
    const challenge = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, challenge, effects);
    const stored = (await db.get('pending', challenge.requestId))!;
    await db.put('pending', { ...stored, sentDecision: 'approve' });
    await handleRelayFrame(db, RELAY, { type: 'result', requestId: challenge.requestId, outcome: 'wrong_number' }, effects);
    expect(await db.get('history', challenge.requestId)).toMatchObject({ decision: 'approve', outcome: 'wrong_number' });
    expect(await db.count('pending')).toBe(0);
  });

  it('does not let a late cancel overwrite a result, nor revive a settled challenge', async () => {
    const challenge = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, challenge, effects);
    await handleRelayFrame(db, RELAY, { type: 'result', requestId: challenge.requestId, outcome: 'approved' }, effects);
    expect(await handleRelayFrame(db, RELAY, { type: 'cancel', requestId: challenge.requestId, reason: 'expired' }, effects)).toBe(
      'ignored',
    );
    expect(await handleRelayFrame(db, RELAY, challenge, effects)).toBe('ignored');
    expect(await db.get('history', challenge.requestId)).toMatchObject({ outcome: 'approved' });
  });

  it('ignores a cancel sent by another relay', async () => {
    const challenge = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, challenge, effects);
    const cancel = { type: 'cancel', requestId: challenge.requestId, reason: 'cancelled' } as const;
    expect(await handleRelayFrame(db, 'http://other.test', cancel, effects)).toBe('ignored');
    expect(await db.count('pending')).toBe(1);
  });

  it('forgets a revoked account and its pending challenges', async () => {
    const challenge = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, challenge, effects);
    expect(await handleRelayFrame(db, RELAY, { type: 'revoked', deviceId }, effects)).toBe('forgotten');
    expect(await db.get('accounts', deviceId)).toBeUndefined();
    expect(await db.count('pending')).toBe(0);
    expect(effects.accountChanges).toBe(1);
  });

  it('lets no relay revoke another relay’s account', async () => {
    expect(await handleRelayFrame(db, 'http://other.test', { type: 'revoked', deviceId }, effects)).toBe('ignored');
    expect(await db.get('accounts', deviceId)).toBeDefined();
  });

  it('keeps a notice once and announces it once, even when the relay sends it again', async () => {
    const notice = { type: 'notice', deviceId, kind: 'authenticator_added', name: 'Firefox on Windows', at: NOW } as const;
    expect(await handleRelayFrame(db, RELAY, notice, effects)).toBe('stored');
    expect(await handleRelayFrame(db, RELAY, notice, effects)).toBe('ignored');
    expect(effects.notices).toHaveLength(1);
    expect(effects.notices[0]).toMatchObject({
      deviceId,
      upn: 'alice@demo.test',
      kind: 'authenticator_added',
      name: 'Firefox on Windows',
      at: NOW,
    });
    const removed = { ...notice, kind: 'authenticator_removed', at: NOW + 1 } as const;
    expect(await handleRelayFrame(db, RELAY, removed, effects)).toBe('stored');
    expect(await db.count('notices')).toBe(2);
  });

  it('ignores a notice for an unknown account or from another relay', async () => {
    const notice = { type: 'notice', deviceId, kind: 'authenticator_removed', name: 'Old phone', at: NOW } as const;
    expect(await handleRelayFrame(db, 'http://other.test', notice, effects)).toBe('ignored');
    expect(await handleRelayFrame(db, RELAY, { ...notice, deviceId: randomId() }, effects)).toBe('ignored');
    expect(await db.count('notices')).toBe(0);
    expect(effects.notices).toEqual([]);
  });

  it('sweeps expired challenges', async () => {
    const soon = challengeFor(deviceId, { expiresAt: NOW + 1_000 });
    const later = challengeFor(deviceId);
    await handleRelayFrame(db, RELAY, soon, effects);
    await handleRelayFrame(db, RELAY, later, effects);
    effects.time = NOW + 1_000;
    expect(await sweepExpired(db, effects)).toBe(1);
    expect(effects.settled).toEqual([[soon.requestId, 'expired']]);
    expect(await db.getAllKeys('pending')).toEqual([later.requestId]);
  });
});

describe('frame validation', () => {
  it('rejects an invalid challenge before it reaches the handler', () => {
    const bad = { ...challengeFor('d'.repeat(22)), match: { mode: 'choose', digits: 2, choices: ['12', '34'] } };
    expect(parse(RelayToDeviceMessage, bad)).toMatchObject({ ok: false, field: 'match.choices' });
    expect(parse(RelayToDeviceMessage, { type: 'challenge' }).ok).toBe(false);
    expect(parse(RelayToDeviceMessage, { type: 'surprise' }).ok).toBe(false);
  });
});

describe('noticeText()', () => {
  it('says which authenticator was added to or removed from which account', () => {
    expect(noticeText({ kind: 'authenticator_added', name: 'Firefox on Windows', upn: 'alice@example.com' })).toBe(
      "A new authenticator, 'Firefox on Windows', was added to alice@example.com",
    );
    expect(noticeText({ kind: 'authenticator_removed', name: 'X', upn: 'alice@example.com' })).toBe(
      "The authenticator 'X' was removed from alice@example.com",
    );
  });
});
