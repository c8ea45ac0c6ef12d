import { deviceActionStatement, signStatement } from '../../../protocol/index.ts';
import { blindPin, finishPin, pinWrappingKey, unwrapWithPinKey } from '../../../protocol/pin-oprf.ts';
import type { PairedKeys } from './paired-keys.ts';
import type { RawDeviceSocket } from './raw-device-socket.ts';

/**
 * The device side of section 4a by hand over a RawDeviceSocket, so a test can do what a real
 * device would (unlock, unwrap, prove) or stop anywhere a thief would.
 */

export type RawUnlock =
  | { ok: true; attemptsLeft: number; blinded: string; secretKey: Uint8Array }
  /** `wrong_pin`: the relay evaluated, the GCM tag failed. Otherwise the relay's `error` code. */
  | { ok: false; code: string; attemptsLeft?: number; blinded: string };

/** A device id no socket accepts: an `unlock` naming it is answered with `error` at once. */
const PROBE_DEVICE = 'PPPPPPPPPPPPPPPPPPPPPP';

/**
 * `unlock` with `pin`, then (when the unwrap works and `prove` is not false) the `unlock_proof`
 * on the same socket, waiting until the relay has handled it.
 */
export async function rawUnlock(
  raw: RawDeviceSocket,
  origin: string,
  keys: PairedKeys,
  pin: string,
  options: { prove?: boolean } = {},
): Promise<RawUnlock> {
  const pending = blindPin(pin);
  const answer = await sendAndAnswer(raw, keys.deviceId, { type: 'unlock', deviceId: keys.deviceId, blinded: pending.blinded });
  if (answer.type === 'error') return { ok: false, code: answer.code, blinded: pending.blinded };
  const key = await pinWrappingKey({ output: finishPin(pin, pending, answer.evaluated), deviceId: keys.deviceId, relayOrigin: origin });
  const secretKey = await unwrapWithPinKey(key, keys.wrapped, keys.deviceId);
  if (!secretKey) return { ok: false, code: 'wrong_pin', attemptsLeft: answer.attemptsLeft, blinded: pending.blinded };
  if (options.prove !== false) {
    const from = raw.frames.length;
    raw.send(proofFrame(origin, raw.nonce, keys, pending.blinded));
    const refused = (await settled(raw, from)).find((f) => f.type === 'error' && f.deviceId === keys.deviceId);
    if (refused) throw new Error(`the relay refused a proof: ${JSON.stringify(refused)}`);
  }
  return { ok: true, attemptsLeft: answer.attemptsLeft, blinded: pending.blinded, secretKey };
}

/** An `unlock_proof` signed with the approval key over `nonce` (this socket's, unless a test lies). */
export function proofFrame(origin: string, nonce: string, keys: Pick<PairedKeys, 'deviceId' | 'approvalKey'>, blinded: string) {
  const statement = deviceActionStatement({ relayOrigin: origin, nonce, deviceId: keys.deviceId, action: 'unlock-proof', detail: blinded });
  return { type: 'unlock_proof' as const, deviceId: keys.deviceId, blinded, signature: signStatement(statement, keys.approvalKey) };
}

/** A `rekey` with `newPin` blinded, signed with the approval key over `nonce`. */
export function rekeyFrame(origin: string, nonce: string, keys: Pick<PairedKeys, 'deviceId' | 'approvalKey'>, blinded: string) {
  const statement = deviceActionStatement({ relayOrigin: origin, nonce, deviceId: keys.deviceId, action: 'rekey', detail: blinded });
  return { type: 'rekey' as const, deviceId: keys.deviceId, blinded, signature: signStatement(statement, keys.approvalKey) };
}

/** A `remove` signed over `nonce` with `signWith` (the approval key, as a device signs it, unless a test says otherwise). */
export function removeFrame(
  origin: string,
  nonce: string,
  keys: Pick<PairedKeys, 'deviceId' | 'approvalKey'>,
  signWith = keys.approvalKey,
) {
  const statement = deviceActionStatement({ relayOrigin: origin, nonce, deviceId: keys.deviceId, action: 'remove', detail: '' });
  return { type: 'remove' as const, deviceId: keys.deviceId, signature: signStatement(statement, signWith) };
}

/** Sends a frame and waits for the relay's answer about that device (`unlocked`, `rekeyed`, `revoked` or `error`). */
export async function sendAndAnswer(raw: RawDeviceSocket, deviceId: string, frame: unknown): Promise<Record<string, any>> {
  const from = raw.frames.length;
  raw.send(frame);
  return raw.nextFrom(
    from,
    `answer about ${deviceId}`,
    (f) => (f.type === 'unlocked' || f.type === 'rekeyed' || f.type === 'revoked' || f.type === 'error') && f.deviceId === deviceId,
  );
}

/**
 * Waits until the relay has handled every frame sent on this socket so far: frames are handled
 * in order, so the answer to a probe `unlock` (for a device nobody accepted) comes after them.
 * Returns the frames that arrived meanwhile (an `error` for a refused proof, say).
 */
export async function settled(raw: RawDeviceSocket, from = raw.frames.length): Promise<Array<Record<string, any>>> {
  const probe = await sendAndAnswer(raw, PROBE_DEVICE, { type: 'unlock', deviceId: PROBE_DEVICE, blinded: blindPin('0').blinded });
  const index = raw.frames.indexOf(probe);
  return raw.frames.slice(from, index);
}
