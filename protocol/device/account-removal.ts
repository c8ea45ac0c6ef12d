import type { RelayToDeviceMessage, RemoveMessage } from '../messages.ts';
import { isRelayUnavailable, RELAY_UNAVAILABLE_MESSAGE } from './relay-frames.ts';

/**
 * The device side of `remove` (section 4): the person removed an account from the device, which
 * unregisters it on its relay. The frame (pin-frames.ts `removeFrame`) is signed by the approval
 * key over the `hello` nonce of the socket that carries it; the relay answers `revoked` (the
 * device then forgets the account as for any revocation) or `error` naming the device.
 */

export type RemovalAnswer = { ok: true } | { ok: false; code: string; message: string };

/** One wait per device for the relay's answer to its `remove`. */
export class RemovalWaiters {
  private readonly waiting = new Map<string, (answer: RemovalAnswer) => void>();

  wait(deviceId: string, timeoutMs: number): Promise<RemovalAnswer> {
    this.end(deviceId, { ok: false, code: 'superseded', message: 'A newer removal replaced this one.' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: 'The relay did not answer in time.' }), timeoutMs);
      const finish = (answer: RemovalAnswer) => {
        clearTimeout(timer);
        if (this.waiting.get(deviceId) === finish) this.waiting.delete(deviceId);
        resolve(answer);
      };
      this.waiting.set(deviceId, finish);
    });
  }

  /**
   * Feeds a relay frame. True when it was an `error` answering a removal (consumed); a `revoked`
   * answers too but is not consumed: it must still reach the code that forgets the account.
   */
  take(frame: RelayToDeviceMessage): boolean {
    if (frame.type === 'revoked') {
      this.end(frame.deviceId, { ok: true });
      return false;
    }
    if (frame.type === 'error' && frame.deviceId) return this.end(frame.deviceId, { ok: false, code: frame.code, message: frame.message });
    // Not consumed: the other waits on this socket end too.
    if (isRelayUnavailable(frame)) this.dropAll('unavailable', RELAY_UNAVAILABLE_MESSAGE);
    return false;
  }

  /** Ends the wait for `deviceId` unanswered (the frame could not be sent). */
  fail(deviceId: string, code: string, message: string): void {
    this.end(deviceId, { ok: false, code, message });
  }

  /** The socket went away: every removal waiting on it ends unanswered. */
  dropAll(code = 'offline', message = 'The connection to the relay closed.'): void {
    for (const deviceId of [...this.waiting.keys()]) this.end(deviceId, { ok: false, code, message });
  }

  private end(deviceId: string, answer: RemovalAnswer): boolean {
    const finish = this.waiting.get(deviceId);
    if (!finish) return false;
    finish(answer);
    return true;
  }
}

/**
 * Sends a signed `remove` on the socket whose nonce it was signed over (only if that socket is
 * still the open one) and waits for the relay's answer.
 */
export async function sendRemoval(input: {
  connection: { readonly nonce: string | null; send(frame: RemoveMessage): boolean };
  nonce: string;
  frame: RemoveMessage;
  waiters: RemovalWaiters;
  timeoutMs: number;
}): Promise<RemovalAnswer> {
  const { connection, nonce, frame, waiters } = input;
  if (connection.nonce !== nonce) return { ok: false, code: 'offline', message: 'The connection this removal was signed for closed.' };
  const answer = waiters.wait(frame.deviceId, input.timeoutMs);
  if (!connection.send(frame)) waiters.fail(frame.deviceId, 'offline', 'Not connected to the relay.');
  return answer;
}
