import type { RekeyMessage, RelayToDeviceMessage, RemoveMessage, UnlockProofMessage } from '../messages.ts';
import { deviceActionStatement } from '../statements.ts';
import type { StatementSigner } from './device-crypto.ts';
import { isRelayUnavailable, RELAY_UNAVAILABLE_MESSAGE } from './relay-frames.ts';

/**
 * The `device-action` frames of section 4a and 4 (`unlock_proof`, `rekey`, `remove`), each
 * signed by the approval key over the `hello` nonce of the socket that carries it, and the
 * waiters that pair an `unlock` or `rekey` with the relay's answer. Free of the OPRF itself, so
 * the extension's background worker can carry these frames without noble's OPRF code.
 */

interface ActionInput {
  relayOrigin: string;
  /** The `hello` nonce of the socket the frame goes out on. */
  nonce: string;
  deviceId: string;
  signer: StatementSigner;
}

export async function unlockProofFrame(input: ActionInput & { blinded: string }): Promise<UnlockProofMessage> {
  const { relayOrigin, nonce, deviceId, blinded, signer } = input;
  const signature = await signer.sign(deviceActionStatement({ relayOrigin, nonce, deviceId, action: 'unlock-proof', detail: blinded }));
  return { type: 'unlock_proof', deviceId, blinded, signature };
}

export async function rekeyFrame(input: ActionInput & { blinded: string }): Promise<RekeyMessage> {
  const { relayOrigin, nonce, deviceId, blinded, signer } = input;
  const signature = await signer.sign(deviceActionStatement({ relayOrigin, nonce, deviceId, action: 'rekey', detail: blinded }));
  return { type: 'rekey', deviceId, signature, blinded };
}

export async function removeFrame(input: ActionInput): Promise<RemoveMessage> {
  const { relayOrigin, nonce, deviceId, signer } = input;
  const signature = await signer.sign(deviceActionStatement({ relayOrigin, nonce, deviceId, action: 'remove', detail: '' }));
  return { type: 'remove', deviceId, signature };
}

/** The relay's answer to an `unlock` or a `rekey`. */
export type EvaluationAnswer =
  | { ok: true; evaluated: string; attemptsLeft: number | null }
  /** `pin_locked`, `pin_attempts`, `unknown_device`, `offline`, `timeout`, or another relay code. */
  | { ok: false; code: string; message: string };

/**
 * One waiter per device and kind: the relay answers an `unlock` with `unlocked` (or `error`
 * naming the device) and a `rekey` with `rekeyed`. A newer wait for the same device replaces the
 * older, which resolves `superseded`.
 */
export class EvaluationWaiters {
  private readonly waiting = new Map<string, (answer: EvaluationAnswer) => void>();

  wait(kind: 'unlock' | 'rekey', deviceId: string, timeoutMs: number): Promise<EvaluationAnswer> {
    const key = `${kind}:${deviceId}`;
    this.waiting.get(key)?.({ ok: false, code: 'superseded', message: 'A newer unlock replaced this one.' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: 'The relay did not answer in time.' }), timeoutMs);
      const finish = (answer: EvaluationAnswer) => {
        clearTimeout(timer);
        if (this.waiting.get(key) === finish) this.waiting.delete(key);
        resolve(answer);
      };
      this.waiting.set(key, finish);
    });
  }

  /** Feeds a relay frame; true when it answered a waiter. */
  take(frame: RelayToDeviceMessage): boolean {
    if (frame.type === 'unlocked')
      return this.settle(`unlock:${frame.deviceId}`, { ok: true, evaluated: frame.evaluated, attemptsLeft: frame.attemptsLeft });
    if (frame.type === 'rekeyed')
      return this.settle(`rekey:${frame.deviceId}`, { ok: true, evaluated: frame.evaluated, attemptsLeft: null });
    if (frame.type === 'error' && frame.deviceId) {
      const answer = { ok: false as const, code: frame.code, message: frame.message };
      const unlock = this.settle(`unlock:${frame.deviceId}`, answer);
      return this.settle(`rekey:${frame.deviceId}`, answer) || unlock;
    }
    // Not consumed: the other waits on this socket end too.
    if (isRelayUnavailable(frame)) this.dropAll('unavailable', RELAY_UNAVAILABLE_MESSAGE);
    return false;
  }

  /** The socket went away: every wait on it ends (an unproven attempt there is now a failure). */
  dropAll(code = 'offline', message = 'The connection to the relay closed.'): void {
    for (const finish of [...this.waiting.values()]) finish({ ok: false, code, message });
  }

  private settle(key: string, answer: EvaluationAnswer): boolean {
    const finish = this.waiting.get(key);
    if (!finish) return false;
    finish(answer);
    return true;
  }
}
