import type { CancelReason, ChallengeMessage, NoticeMessage, RelayToDeviceMessage, ResultOutcome } from '../../protocol/index.ts';
import { isActiveAccount, type Db, type HistoryEntry, type HistoryOutcome, type NoticeEntry, type PendingChallenge } from './db.ts';

/**
 * What the device does with each (already validated) relay frame after `ready`: challenges are
 * stored until a cancel, a result or their expiry; `revoked` forgets the account; a `notice`
 * (another authenticator added to or removed from an account) is kept for the popup's history.
 * Side effects beyond the database (notifications, badge, waiting UI) go through `FrameEffects`.
 */

export interface FrameEffects {
  now(): number;
  /** A new challenge was stored (show a notification, maybe open the approval window). */
  challengeArrived(pending: PendingChallenge): void;
  /** A challenge is no longer pending; `outcome` is what the user should see. */
  challengeSettled(requestId: string, outcome: HistoryOutcome): void;
  /** Accounts changed (revoked): connections should be re-synced. */
  accountsChanged(): void;
  /** A notice was stored for the first time (show it to the person). */
  noticeArrived(notice: NoticeEntry): void;
  /** A `pin_failure` for this account: true (once) when this browser made an unproven attempt just before. */
  ownPinFailure?(deviceId: string): boolean;
  /**
   * Section 5: the sign-in code the person typed here that this `code`-mode challenge answers
   * (the claim waiting on that relay for that account), or undefined when nobody here typed one.
   */
  claimedCode?(relayOrigin: string, deviceId: string): string | undefined;
}

export type FrameHandling = 'stored' | 'removed' | 'forgotten' | 'ignored';

const CANCEL_OUTCOMES: Record<CancelReason, HistoryOutcome> = {
  approved_elsewhere: 'handled_elsewhere',
  denied_elsewhere: 'handled_elsewhere',
  expired: 'expired',
  cancelled: 'cancelled',
  superseded: 'superseded',
};

const RESULT_OUTCOMES: Record<ResultOutcome, HistoryOutcome> = {
  approved: 'approved',
  denied: 'denied',
  reported: 'reported',
  wrong_number: 'wrong_number',
  expired: 'expired',
  already_decided: 'already_decided',
  rejected: 'rejected',
};

export async function handleRelayFrame(
  db: Db,
  relayOrigin: string,
  frame: RelayToDeviceMessage,
  effects: FrameEffects,
): Promise<FrameHandling> {
  switch (frame.type) {
    case 'challenge':
      return storeChallenge(db, relayOrigin, frame, effects);
    case 'cancel':
      return settle(db, relayOrigin, frame.requestId, CANCEL_OUTCOMES[frame.reason], null, effects);
    case 'result':
      return settle(db, relayOrigin, frame.requestId, RESULT_OUTCOMES[frame.outcome], null, effects);
    case 'revoked':
      return forgetAccount(db, relayOrigin, frame.deviceId, effects);
    case 'notice':
      return storeNotice(db, relayOrigin, frame, effects);
    default:
      // hello, ready, ping and error belong to the connection itself.
      return 'ignored';
  }
}

async function storeChallenge(db: Db, relayOrigin: string, challenge: ChallengeMessage, effects: FrameEffects): Promise<FrameHandling> {
  const now = effects.now();
  if (challenge.expiresAt <= now) return 'ignored';
  const account = await db.get('accounts', challenge.deviceId);
  // A relay may only address accounts it holds (and that can answer); anything else is ignored.
  if (!isActiveAccount(account) || account.relayOrigin !== relayOrigin) return 'ignored';
  const tx = db.transaction(['pending', 'history'], 'readwrite');
  const [existing, decided] = await Promise.all([
    tx.objectStore('pending').get(challenge.requestId),
    tx.objectStore('history').get(challenge.requestId),
  ]);
  // A `code` challenge answers a code typed here, which its approve carries: one nobody typed here cannot be approved.
  const code = challenge.match.mode === 'code' ? (existing?.code ?? effects.claimedCode?.(relayOrigin, challenge.deviceId)) : undefined;
  if (decided || (challenge.match.mode === 'code' && code === undefined)) {
    await tx.done;
    return 'ignored';
  }
  const pending: PendingChallenge = {
    requestId: challenge.requestId,
    relayOrigin,
    challenge,
    receivedAt: existing?.receivedAt ?? now,
    ...(code !== undefined ? { code } : {}),
  };
  await tx.objectStore('pending').put(pending);
  await tx.done;
  // The relay re-sends pending challenges after each `ready`: notify only the first time.
  if (!existing) effects.challengeArrived(pending);
  return 'stored';
}

/** Removes a pending challenge and records its outcome. Also used by the UI and the expiry sweep. */
export async function settle(
  db: Db,
  relayOrigin: string | null,
  requestId: string,
  outcome: HistoryOutcome,
  decision: HistoryEntry['decision'],
  effects: Pick<FrameEffects, 'now' | 'challengeSettled'>,
): Promise<FrameHandling> {
  const tx = db.transaction(['pending', 'history'], 'readwrite');
  const pending = await tx.objectStore('pending').get(requestId);
  if (!pending || (relayOrigin && pending.relayOrigin !== relayOrigin)) {
    await tx.done;
    return 'ignored';
  }
  await tx.objectStore('pending').delete(requestId);
  const source = pending.challenge;
  await tx.objectStore('history').put({
    requestId,
    deviceId: source.deviceId,
    upn: source.account.upn,
    appName: source.app?.name ?? null,
    decision: decision ?? pending.sentDecision ?? null,
    outcome,
    at: effects.now(),
  });
  await tx.done;
  effects.challengeSettled(requestId, outcome);
  return 'removed';
}

/** Drops every pending challenge whose time ran out; returns how many. */
export async function sweepExpired(db: Db, effects: Pick<FrameEffects, 'now' | 'challengeSettled'>): Promise<number> {
  const expired = await db.getAllFromIndex('pending', 'byExpiry', IDBKeyRange.upperBound(effects.now()));
  for (const pending of expired) await settle(db, null, pending.requestId, 'expired', null, effects);
  return expired.length;
}

async function forgetAccount(db: Db, relayOrigin: string, deviceId: string, effects: FrameEffects): Promise<FrameHandling> {
  const account = await db.get('accounts', deviceId);
  if (!account || account.relayOrigin !== relayOrigin) return 'ignored';
  const dropped = await removeAccount(db, deviceId);
  for (const requestId of dropped) effects.challengeSettled(requestId, 'revoked');
  effects.accountsChanged();
  return 'forgotten';
}

/**
 * Deletes an account and its pending requests in one transaction (revoked by the relay, or
 * removed by the person); returns the requests dropped, which nothing can answer any more.
 */
export async function removeAccount(db: Db, deviceId: string): Promise<string[]> {
  const tx = db.transaction(['accounts', 'pending'], 'readwrite');
  await tx.objectStore('accounts').delete(deviceId);
  const dropped: string[] = [];
  let cursor = await tx.objectStore('pending').openCursor();
  while (cursor) {
    if (cursor.value.challenge.deviceId === deviceId) {
      dropped.push(cursor.value.requestId);
      await cursor.delete();
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return dropped;
}

async function storeNotice(db: Db, relayOrigin: string, notice: NoticeMessage, effects: FrameEffects): Promise<FrameHandling> {
  const account = await db.get('accounts', notice.deviceId);
  if (!isActiveAccount(account) || account.relayOrigin !== relayOrigin) return 'ignored';
  const entry: NoticeEntry = {
    id: [notice.deviceId, notice.kind, notice.at, notice.name].join('\n'),
    deviceId: notice.deviceId,
    relayOrigin,
    upn: account.upn,
    kind: notice.kind,
    name: notice.name,
    at: notice.at,
    ...(notice.kind === 'pin_failure' ? { own: effects.ownPinFailure?.(notice.deviceId) ?? false } : {}),
  };
  const tx = db.transaction('notices', 'readwrite');
  const seen = await tx.store.get(entry.id);
  if (seen && entry.own) entry.own = seen.own;
  if (!seen) await tx.store.put(entry);
  await tx.done;
  if (seen) return 'ignored';
  effects.noticeArrived(entry);
  return 'stored';
}
