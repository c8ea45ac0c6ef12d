import { matchDigits, type Decision, type DecisionMessage, type RelayToDeviceMessage } from '../../protocol/index.ts';
import { checkDecision, isRelayUnavailable } from '../../protocol/device/index.ts';
import { isActiveAccount, type Db, type HistoryOutcome } from './db.ts';
import { settle, type FrameEffects } from './frame-handler.ts';
import type { RelayConnections } from './relay-connections.ts';
import type { DecideResult } from './runtime-messages.ts';
import { signDecision } from './sign-decision.ts';
import { unlockWithPrf, type WebAuthnUnlock } from './webauthn-unlock.ts';

/**
 * One answer to a pending sign-in request, from the approval window to the relay's `result`.
 * Deny and "It wasn't me" need no PIN and are signed by the connect key. An approve comes signed
 * by the approval window after a PIN unlock with the relay (section 4a), or is unlocked here by a
 * WebAuthn PRF output from the window, or by the PIN wrapping key remembered for 5 minutes:
 * without one of them, nothing is signed or sent.
 */

export interface DecideRequest {
  requestId: string;
  decision: Decision;
  number: string;
  /** An approve signed by the approval window after its PIN unlock. */
  signed?: DecisionMessage | undefined;
  /** Biometric unlock: the PRF output (base64url) for this one approve; the PIN is then not used. */
  prf?: string | undefined;
  remember: boolean;
}

export interface DecideDeps {
  db: Db;
  effects: Pick<FrameEffects, 'now' | 'challengeSettled'>;
  /** The account's remembered PIN wrapping key, or null; `remember: false` forgets them all. */
  recall(deviceId: string, remember: boolean): CryptoKey | null;
  connections: Pick<RelayConnections, 'for'>;
  waiters: DecisionWaiters;
  readyTimeoutMs: number;
  resultTimeoutMs: number;
}

export async function decide(request: DecideRequest, deps: DecideDeps): Promise<DecideResult> {
  const { db, effects } = deps;
  const pending = await db.get('pending', request.requestId);
  if (!pending) {
    const history = await db.get('history', request.requestId);
    return { ok: false, code: history ? `already_${history.outcome}` : 'not_pending' };
  }
  const { challenge } = pending;
  if (challenge.expiresAt <= effects.now()) {
    await settle(db, null, request.requestId, 'expired', null, effects);
    return { ok: true, outcome: 'expired' };
  }
  const account = await db.get('accounts', challenge.deviceId);
  if (!account) return { ok: false, code: 'unknown_account' };
  if (!isActiveAccount(account)) return { ok: false, code: 'needs_re_add' };

  const approve = request.decision === 'approve';
  const number = approve ? request.number : '';
  const byWebAuthn = approve && request.prf !== undefined;
  const unlockMethod = !approve ? 'none' : byWebAuthn ? 'webauthn' : 'pin';
  const problem = checkDecision({ decision: request.decision, number, digits: matchDigits(challenge.match), unlock: unlockMethod });
  if (problem) return { ok: false, code: problem };
  // Section 5: a code request is approved with the code typed here, and nothing else.
  if (approve && challenge.match.mode === 'code' && number !== pending.code) return { ok: false, code: 'invalid_number' };
  let pinKey: CryptoKey | null = null;
  let webauthn: WebAuthnUnlock | null = null;
  const presigned = approve && !byWebAuthn ? (request.signed ?? null) : null;
  if (presigned) {
    const { requestId, deviceId, decision, unlock } = presigned;
    if (
      requestId !== challenge.requestId ||
      deviceId !== challenge.deviceId ||
      decision !== 'approve' ||
      unlock !== 'pin' ||
      presigned.number !== number
    )
      return { ok: false, code: 'invalid_request' };
    deps.recall(deviceId, request.remember);
  } else if (byWebAuthn) {
    const unlocked = await unlockWithPrf(db, request.prf!, account);
    if (!unlocked.ok) return unlocked;
    webauthn = unlocked.unlock;
  } else if (approve) {
    pinKey = deps.recall(account.deviceId, request.remember);
    if (!pinKey) return { ok: false, code: 'pin_required' };
  }

  const connection = deps.connections.for(account.relayOrigin);
  if (!(await connection.waitUntilReady(deps.readyTimeoutMs))) return { ok: false, code: 'offline' };
  const signed = presigned
    ? ({ ok: true, message: presigned } as const)
    : await signDecision({ account, challenge, decision: request.decision, number, signedAt: effects.now(), pinKey, webauthn });
  if (!signed.ok) return { ok: false, code: signed.code };

  await db.put('pending', { ...pending, sentDecision: request.decision });
  const outcome = deps.waiters.wait(challenge.requestId, account.relayOrigin, deps.resultTimeoutMs);
  if (!connection.send(signed.message)) {
    deps.waiters.settled(challenge.requestId, null);
    return { ok: false, code: 'offline' };
  }
  const settled = await outcome;
  if (settled === UNAVAILABLE) return { ok: false, code: 'unavailable' };
  return settled ? { ok: true, outcome: settled } : { ok: false, code: 'no_answer' };
}

const UNAVAILABLE = 'unavailable';

/** Decisions waiting for their request to settle (the relay's `result`, a cancel, or expiry). */
export class DecisionWaiters {
  private readonly waiting = new Map<string, { relayOrigin: string; finish(outcome: HistoryOutcome | null | typeof UNAVAILABLE): void }>();

  /** The outcome; null after `timeoutMs`; `unavailable` when the relay said it lost its database meanwhile. */
  wait(requestId: string, relayOrigin: string, timeoutMs: number): Promise<HistoryOutcome | null | typeof UNAVAILABLE> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settled(requestId, null), timeoutMs);
      this.waiting.set(requestId, {
        relayOrigin,
        finish: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      });
    });
  }

  settled(requestId: string, outcome: HistoryOutcome | null | typeof UNAVAILABLE): void {
    const waiter = this.waiting.get(requestId);
    this.waiting.delete(requestId);
    waiter?.finish(outcome);
  }

  /**
   * Feeds every frame from `relayOrigin`. After `error unavailable` (which names no request) every
   * decision waiting there ends at once: its write may be the one that failed, and the request,
   * still pending, can be answered again.
   */
  take(relayOrigin: string, frame: RelayToDeviceMessage): void {
    if (!isRelayUnavailable(frame)) return;
    for (const [requestId, waiter] of [...this.waiting]) if (waiter.relayOrigin === relayOrigin) this.settled(requestId, UNAVAILABLE);
  }
}
