import type { RekeyMessage, RelayToDeviceMessage, UnlockProofMessage } from '../../../protocol/index.ts';
import { EvaluationWaiters, type RelayConnection } from '../../../protocol/device/index.ts';
import type { Failure } from '../../lib/runtime-messages.ts';

/**
 * The worker's half of section 4a. The worker owns the sockets; the pages that take a PIN own the
 * OPRF (noble stays out of this bundle): a page sends the blinded element here, the worker sends
 * `unlock` on that relay's socket and returns the evaluation with the socket's `hello` nonce; the
 * page finishes, unwraps and signs, and hands back the `unlock_proof`, which goes out only if the
 * socket with that nonce is still the open one (a proof is bound to its socket).
 *
 * It also remembers which accounts this browser has an unproven attempt for, so a `pin_failure`
 * notice the person caused here is not shown as someone else's.
 */

export const EVALUATION_TIMEOUT_MS = 15_000;
/** An attempt becomes a failure at most 60 s after it was made (or when its socket closes): room for the notice to arrive. */
const OWN_ATTEMPT_WINDOW_MS = 3 * 60_000;

export type EvaluationResult = { ok: true; evaluated: string; attemptsLeft: number | null; nonce: string } | Failure;

export interface PinRelayDeps {
  connection(relayOrigin: string): RelayConnection;
  readyTimeoutMs: number;
  now(): number;
  /** The relay said `pin_locked` for this account. */
  locked(deviceId: string): Promise<void>;
}

export class PinRelay {
  private readonly waiters = new Map<string, EvaluationWaiters>();
  /** deviceId → times of this browser's attempts not yet followed by a proof. */
  private readonly ownAttempts = new Map<string, number[]>();

  constructor(private readonly deps: PinRelayDeps) {}

  private waitersFor(relayOrigin: string): EvaluationWaiters {
    let waiters = this.waiters.get(relayOrigin);
    if (!waiters) this.waiters.set(relayOrigin, (waiters = new EvaluationWaiters()));
    return waiters;
  }

  /** Feeds every frame from `relayOrigin`; true when it answered an `unlock` or a `rekey`. */
  take(relayOrigin: string, frame: RelayToDeviceMessage): boolean {
    if (frame.type === 'error' && frame.code === 'pin_locked' && frame.deviceId)
      void this.deps.locked(frame.deviceId).catch(() => undefined);
    return this.waiters.get(relayOrigin)?.take(frame) ?? false;
  }

  /** The relay's socket closed: every wait on it ends (its unproven attempts are failures now). */
  socketClosed(relayOrigin: string): void {
    this.waiters.get(relayOrigin)?.dropAll('offline');
  }

  /** The open socket's nonce once it is authenticated with `deviceId` accepted; null when there is none in time. */
  async readySocket(relayOrigin: string, deviceId: string): Promise<{ connection: RelayConnection; nonce: string } | Failure> {
    const connection = this.deps.connection(relayOrigin);
    if (!(await connection.waitUntilReady(this.deps.readyTimeoutMs)) || !connection.nonce) return { ok: false, code: 'offline' };
    if (!connection.ready?.accepted.includes(deviceId)) return { ok: false, code: 'not_accepted' };
    return { connection, nonce: connection.nonce };
  }

  /** `unlock {deviceId, blinded}` → the evaluation, the attempts left, and the nonce of the socket that carried it. */
  async unlock(relayOrigin: string, deviceId: string, blinded: string): Promise<EvaluationResult> {
    const socket = await this.readySocket(relayOrigin, deviceId);
    if ('ok' in socket) return socket;
    const answer = this.waitersFor(relayOrigin).wait('unlock', deviceId, EVALUATION_TIMEOUT_MS);
    if (!socket.connection.send({ type: 'unlock', deviceId, blinded })) return { ok: false, code: 'offline' };
    this.noteAttempt(deviceId);
    const result = await answer;
    if (!result.ok) return { ok: false, code: result.code };
    return { ok: true, evaluated: result.evaluated, attemptsLeft: result.attemptsLeft, nonce: socket.nonce };
  }

  /** Sends a page-built `rekey` on the socket it was signed for, and waits for `rekeyed`. */
  async rekey(relayOrigin: string, nonce: string, frame: RekeyMessage): Promise<EvaluationResult> {
    const connection = this.deps.connection(relayOrigin);
    if (connection.nonce !== nonce) return { ok: false, code: 'offline' };
    const answer = this.waitersFor(relayOrigin).wait('rekey', frame.deviceId, EVALUATION_TIMEOUT_MS);
    if (!connection.send(frame)) return { ok: false, code: 'offline' };
    this.noteAttempt(frame.deviceId);
    const result = await answer;
    if (!result.ok) return { ok: false, code: result.code };
    return { ok: true, evaluated: result.evaluated, attemptsLeft: result.attemptsLeft, nonce };
  }

  /** Sends an `unlock_proof` only on the socket whose `hello` nonce it was signed over. */
  sendProof(relayOrigin: string, nonce: string, frame: UnlockProofMessage): boolean {
    const connection = this.deps.connection(relayOrigin);
    if (connection.nonce !== nonce || !connection.send(frame)) return false;
    // The proof clears the attempts made before it on that socket.
    this.ownAttempts.delete(frame.deviceId);
    return true;
  }

  /** True (once) when a `pin_failure` for `deviceId` follows an unproven attempt made in this browser. */
  claimOwnFailure(deviceId: string): boolean {
    const recent = (this.ownAttempts.get(deviceId) ?? []).filter((at) => at > this.deps.now() - OWN_ATTEMPT_WINDOW_MS);
    const own = recent.length > 0;
    recent.shift();
    if (recent.length > 0) this.ownAttempts.set(deviceId, recent);
    else this.ownAttempts.delete(deviceId);
    return own;
  }

  private noteAttempt(deviceId: string): void {
    this.ownAttempts.set(deviceId, [...(this.ownAttempts.get(deviceId) ?? []), this.deps.now()]);
  }
}
