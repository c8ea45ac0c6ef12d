import type { RelayToDeviceMessage } from '../../../protocol/index.ts';
import { isRelayUnavailable, type RelayConnection } from '../../../protocol/device/index.ts';
import type { ActiveAccount } from '../../lib/db.ts';
import type { ClaimResult } from '../../lib/runtime-messages.ts';

/**
 * Sign-in by code (section 5), the worker's half: the person typed the code a sign-in page shows;
 * the worker sends `claim {deviceId, code}` on the socket of each candidate account in turn (the
 * code belongs to one user, and an account's relay answers only for its own user) until one
 * answers with the request's `challenge` (match mode `code`). The relay answers a claim on the
 * socket it came on with that challenge or with `error {code, deviceId}` (`not_found`,
 * `rate_limited`), so one claim per account waits at a time.
 */

export const CLAIM_TIMEOUT_MS = 10_000;

/** What one account's relay said to a claim. */
type ClaimAnswer = { kind: 'challenge'; requestId: string; expiresAt: number } | { kind: 'error'; code: string } | { kind: 'timeout' };

interface Waiting {
  code: string;
  resolve(answer: ClaimAnswer): void;
}

export interface CodeClaimsDeps {
  connection(relayOrigin: string): RelayConnection;
  readyTimeoutMs: number;
  now(): number;
}

export class CodeClaims {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly deps: CodeClaimsDeps) {}

  /** The code a claim waiting on `relayOrigin` for `deviceId` carries (frame-handler stores it with the challenge). */
  codeFor(relayOrigin: string, deviceId: string): string | undefined {
    return this.waiting.get(key(relayOrigin, deviceId))?.code;
  }

  /** An `error` answering a waiting claim: true when it was one (nobody else needs it). */
  takeError(relayOrigin: string, frame: RelayToDeviceMessage): boolean {
    // The relay could not read its database: its claims get no answer, now rather than at the timeout.
    if (isRelayUnavailable(frame)) this.socketClosed(relayOrigin);
    if (frame.type !== 'error' || !frame.deviceId || (frame.code !== 'not_found' && frame.code !== 'rate_limited')) return false;
    return this.finish(relayOrigin, frame.deviceId, { kind: 'error', code: frame.code });
  }

  /** After a frame was handled: a `code` challenge (stored or not) answers the claim waiting for its account. */
  challengeHandled(relayOrigin: string, frame: RelayToDeviceMessage): void {
    if (frame.type !== 'challenge' || frame.match.mode !== 'code') return;
    this.finish(relayOrigin, frame.deviceId, { kind: 'challenge', requestId: frame.requestId, expiresAt: frame.expiresAt });
  }

  /** The socket closed (or its relay lost its database): its claims get no answer. */
  socketClosed(relayOrigin: string): void {
    for (const [id, waiting] of this.waiting) if (id.startsWith(`${relayOrigin}\n`)) this.finishKey(id, waiting, { kind: 'timeout' });
  }

  /**
   * Claims `code` with each account in turn; the first challenge wins. `rate_limited` on every
   * account that answered gives `rate_limited`; no answer from any gives `offline`.
   */
  async claim(code: string, accounts: ActiveAccount[]): Promise<ClaimResult> {
    let limited: string[] = [];
    const unreachable: string[] = [];
    let answered = 0;
    for (const account of accounts) {
      const answer = await this.claimOn(account, code);
      if (answer.kind === 'challenge') {
        if (answer.expiresAt <= this.deps.now()) return { ok: false, code: 'expired' };
        return { ok: true, requestId: answer.requestId, upn: account.upn };
      }
      if (answer.kind === 'timeout') {
        unreachable.push(account.relayName);
        continue;
      }
      answered += 1;
      if (answer.code === 'rate_limited') limited = [...limited, account.upn];
    }
    if (answered === 0) return { ok: false, code: 'offline', relays: [...new Set(unreachable)] };
    if (limited.length === answered) return { ok: false, code: 'rate_limited', relays: [...new Set(unreachable)] };
    return { ok: false, code: 'not_found', relays: [...new Set(unreachable)] };
  }

  private async claimOn(account: ActiveAccount, code: string): Promise<ClaimAnswer> {
    const connection = this.deps.connection(account.relayOrigin);
    if (!(await connection.waitUntilReady(this.deps.readyTimeoutMs))) return { kind: 'timeout' };
    if (!connection.ready?.accepted.includes(account.deviceId)) return { kind: 'error', code: 'not_accepted' };
    const id = key(account.relayOrigin, account.deviceId);
    const previous = this.waiting.get(id);
    if (previous) this.finishKey(id, previous, { kind: 'timeout' });
    const answer = new Promise<ClaimAnswer>((resolve) => {
      const timer = setTimeout(() => this.finish(account.relayOrigin, account.deviceId, { kind: 'timeout' }), CLAIM_TIMEOUT_MS);
      this.waiting.set(id, {
        code,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      });
    });
    if (!connection.send({ type: 'claim', deviceId: account.deviceId, code }))
      this.finish(account.relayOrigin, account.deviceId, { kind: 'timeout' });
    return answer;
  }

  private finish(relayOrigin: string, deviceId: string, answer: ClaimAnswer): boolean {
    const id = key(relayOrigin, deviceId);
    const waiting = this.waiting.get(id);
    if (!waiting) return false;
    this.finishKey(id, waiting, answer);
    return true;
  }

  private finishKey(id: string, waiting: Waiting, answer: ClaimAnswer): void {
    this.waiting.delete(id);
    waiting.resolve(answer);
  }
}

const key = (relayOrigin: string, deviceId: string) => `${relayOrigin}\n${deviceId}`;
