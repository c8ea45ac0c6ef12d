import type { DeviceToRelayMessage } from '../messages.ts';
import { blindPin, finishPin, pinWrappingKey, unwrapWithPinKey, wrapWithPinKey, type BlindedPin, type PinWrappedKey } from '../pin-oprf.ts';
import type { StatementSigner } from './device-crypto.ts';
import { rekeyFrame, unlockProofFrame, type EvaluationAnswer } from './pin-frames.ts';

/**
 * The device side of section 4a, written once for the extension's PIN pages, the virtual device
 * and the bench: unlock (blind → `unlock` → finish → unwrap → `unlock_proof`), and the new wraps
 * of pairing, PIN change and the revision-2 upgrade, each confirmed by an unlock of the new copy
 * before the caller deletes anything older. Not in protocol/device/index.ts: it pulls noble's OPRF.
 */

/** The authenticated socket to one relay, as the PIN flows need it. */
export interface PinChannel {
  readonly relayOrigin: string;
  /**
   * Sends `unlock {deviceId, blinded}` and waits for the answer. `nonce` is the `hello` nonce of
   * the socket it went out on: the proof must travel on that same socket.
   */
  unlock(deviceId: string, blinded: string): Promise<{ answer: EvaluationAnswer; nonce: string | null }>;
  /** Sends `rekey` (built by the caller over `nonce`) and waits for `rekeyed`. */
  rekey(
    deviceId: string,
    build: (nonce: string) => Promise<DeviceToRelayMessage>,
  ): Promise<{ answer: EvaluationAnswer; nonce: string | null }>;
  /** Sends a frame only if the socket with that `hello` nonce is still the open one. */
  sendOn(nonce: string, frame: DeviceToRelayMessage): Promise<boolean>;
}

export type PinUnlock =
  | { ok: true; secretKey: Uint8Array; wrappingKey: CryptoKey; attemptsLeft: number | null }
  /** The GCM tag failed: the PIN is wrong. `attemptsLeft` is the relay's count after this attempt. */
  | { ok: false; code: 'wrong_pin'; attemptsLeft: number | null; message: string }
  /** `pin_locked`, `pin_attempts`, `offline`, `timeout`, `proof_not_sent`, or another relay code. */
  | { ok: false; code: string; attemptsLeft?: undefined; message: string };

export interface UnlockInput {
  pin: string;
  deviceId: string;
  wrapped: PinWrappedKey;
  channel: PinChannel;
  /** The approval key's signer for the unwrapped secret (noble or WebCrypto). */
  approvalSigner(secretKey: Uint8Array): StatementSigner;
}

/** Runs the relay's evaluation of `pin` and returns the wrapping key it gives, or the relay's refusal. */
export async function evaluatePin(
  channel: PinChannel,
  deviceId: string,
  pin: string,
): Promise<
  { ok: true; key: CryptoKey; blinded: string; nonce: string; attemptsLeft: number | null } | { ok: false; code: string; message: string }
> {
  const pending: BlindedPin = blindPin(pin);
  const { answer, nonce } = await channel.unlock(deviceId, pending.blinded);
  if (!answer.ok) {
    pending.blind.fill(0);
    return answer;
  }
  if (!nonce) {
    pending.blind.fill(0);
    return { ok: false, code: 'offline', message: 'The connection to the relay closed.' };
  }
  let output: Uint8Array;
  try {
    output = finishPin(pin, pending, answer.evaluated);
  } catch {
    return { ok: false, code: 'bad_evaluation', message: 'The relay sent an invalid evaluation.' };
  }
  const key = await pinWrappingKey({ output, deviceId, relayOrigin: channel.relayOrigin });
  return { ok: true, key, blinded: pending.blinded, nonce, attemptsLeft: answer.attemptsLeft };
}

/**
 * Unlock for one approval: the secret comes back only after the proof went out on the socket
 * that carried the attempt (a proof that cannot be sent fails the unlock, wiping the secret).
 */
export async function unlockWithPin(input: UnlockInput): Promise<PinUnlock> {
  const evaluation = await evaluatePin(input.channel, input.deviceId, input.pin);
  if (!evaluation.ok) return evaluation;
  return unwrapAndProve(input, evaluation);
}

/** Unwraps with a wrapping key already at hand ("Remember my PIN"): no evaluation, no attempt. */
export async function unwrapRemembered(key: CryptoKey, wrapped: PinWrappedKey, deviceId: string): Promise<Uint8Array | null> {
  return unwrapWithPinKey(key, wrapped, deviceId);
}

async function unwrapAndProve(
  input: UnlockInput,
  evaluation: { key: CryptoKey; blinded: string; nonce: string; attemptsLeft: number | null },
): Promise<PinUnlock> {
  const secretKey = await unwrapWithPinKey(evaluation.key, input.wrapped, input.deviceId);
  if (!secretKey) {
    return { ok: false, code: 'wrong_pin', attemptsLeft: evaluation.attemptsLeft, message: 'That PIN is not right.' };
  }
  const proof = await unlockProofFrame({
    relayOrigin: input.channel.relayOrigin,
    nonce: evaluation.nonce,
    deviceId: input.deviceId,
    blinded: evaluation.blinded,
    signer: input.approvalSigner(secretKey),
  });
  if (!(await input.channel.sendOn(evaluation.nonce, proof))) {
    secretKey.fill(0);
    return { ok: false, code: 'proof_not_sent', message: 'The connection to the relay closed before the unlock was confirmed.' };
  }
  return { ok: true, secretKey, wrappingKey: evaluation.key, attemptsLeft: evaluation.attemptsLeft };
}

/** A fresh wrap of `secretKey` under the key the relay's evaluation of a new PIN gives. */
export async function wrapUnderEvaluation(input: {
  pin: string;
  pending: BlindedPin;
  evaluated: string;
  deviceId: string;
  relayOrigin: string;
  secretKey: Uint8Array;
}): Promise<{ wrapped: PinWrappedKey; key: CryptoKey }> {
  const output = finishPin(input.pin, input.pending, input.evaluated);
  const key = await pinWrappingKey({ output, deviceId: input.deviceId, relayOrigin: input.relayOrigin });
  return { wrapped: await wrapWithPinKey(key, input.secretKey, input.deviceId), key };
}

/**
 * Confirms a new wrap (section 4a) before anything older is deleted: `unlock` with the new PIN,
 * unwrap the new copy, check it is the same secret, send the proof. True only when all held.
 */
export async function confirmNewWrap(
  input: UnlockInput & { secretKey: Uint8Array },
): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const unlocked = await unlockWithPin(input);
  if (!unlocked.ok) return { ok: false, code: unlocked.code, message: unlocked.message };
  const same = unlocked.secretKey.length === input.secretKey.length && unlocked.secretKey.every((byte, i) => byte === input.secretKey[i]);
  unlocked.secretKey.fill(0);
  return same ? { ok: true } : { ok: false, code: 'bad_wrap', message: 'The new copy of the key did not open to the same key.' };
}

/**
 * A PIN change for one account (section 4a): the caller has the secret unwrapped with the old
 * PIN; `rekey` gives a new OPRF key's evaluation of the new PIN; the new copy is then confirmed.
 * The relay forgot the old key once it answered, so the caller stores the new copy at once and
 * keeps the secret until `confirmNewWrap` passes (retrying the rekey if it does not).
 */
export async function rekeyAccount(input: {
  newPin: string;
  deviceId: string;
  secretKey: Uint8Array;
  channel: PinChannel;
  approvalSigner(secretKey: Uint8Array): StatementSigner;
}): Promise<{ ok: true; wrapped: PinWrappedKey; key: CryptoKey } | { ok: false; code: string; message: string }> {
  const pending = blindPin(input.newPin);
  const { answer } = await input.channel.rekey(input.deviceId, (nonce) =>
    rekeyFrame({
      relayOrigin: input.channel.relayOrigin,
      nonce,
      deviceId: input.deviceId,
      blinded: pending.blinded,
      signer: input.approvalSigner(input.secretKey),
    }),
  );
  if (!answer.ok) {
    pending.blind.fill(0);
    return answer;
  }
  try {
    const made = await wrapUnderEvaluation({
      pin: input.newPin,
      pending,
      evaluated: answer.evaluated,
      deviceId: input.deviceId,
      relayOrigin: input.channel.relayOrigin,
      secretKey: input.secretKey,
    });
    return { ok: true, ...made };
  } catch {
    return { ok: false, code: 'bad_evaluation', message: 'The relay sent an invalid evaluation.' };
  }
}

/**
 * The first PIN wrap of a secret the device already holds in another form (a revision-2 account's
 * upgrade: the old copy is unwrapped, or was raw): evaluate the PIN, wrap under the key it gives,
 * prove that attempt at once, then confirm the new copy with a second unlock (section 4a). The
 * caller stores `wrapped` and deletes the older copy only when this returns ok.
 */
export async function wrapAndConfirm(input: {
  pin: string;
  deviceId: string;
  secretKey: Uint8Array;
  channel: PinChannel;
  approvalSigner(secretKey: Uint8Array): StatementSigner;
}): Promise<{ ok: true; wrapped: PinWrappedKey; key: CryptoKey } | { ok: false; code: string; message: string }> {
  const evaluation = await evaluatePin(input.channel, input.deviceId, input.pin);
  if (!evaluation.ok) return evaluation;
  const wrapped = await wrapWithPinKey(evaluation.key, input.secretKey, input.deviceId);
  const proof = await unlockProofFrame({
    relayOrigin: input.channel.relayOrigin,
    nonce: evaluation.nonce,
    deviceId: input.deviceId,
    blinded: evaluation.blinded,
    signer: input.approvalSigner(input.secretKey),
  });
  if (!(await input.channel.sendOn(evaluation.nonce, proof))) {
    return { ok: false, code: 'proof_not_sent', message: 'The connection to the relay closed before the unlock was confirmed.' };
  }
  const confirmed = await confirmNewWrap({ ...input, wrapped });
  return confirmed.ok ? { ok: true, wrapped, key: evaluation.key } : confirmed;
}
