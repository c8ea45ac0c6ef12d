import { buildDecision } from '../../protocol/device/index.ts';
import { confirmNewWrap, rekeyAccount, unlockWithPin, wrapAndConfirm, type PinChannel } from '../../protocol/device/pin-unlock.ts';
import type { DecisionMessage, DeviceToRelayMessage } from '../../protocol/index.ts';
import { REMEMBER_CHANNEL, type RememberHandover } from './remember-channel.ts';
import { unwrapLegacy } from './legacy-pin-lock.ts';
import { isValidPin } from '../../protocol/pin-rule.ts';
import { call } from './runtime-client.ts';
import type { Failure, PinAccount } from './runtime-messages.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * The pages' half of section 4a (approval window and popup; it pulls noble's OPRF, so the worker
 * never imports it): unlocking an account with the PIN through the relay, the revision-2 upgrade,
 * the PIN change, and handing a wrapping key to the worker for "Remember my PIN". The worker
 * carries the frames (lib/runtime-messages.ts `pin*`); the approval key is unwrapped here, used
 * for its signatures, and wiped.
 */

/** A PinChannel over runtime messages to the worker, which owns the sockets. */
export function workerPinChannel(relayOrigin: string): PinChannel {
  return {
    relayOrigin,
    async unlock(deviceId, blinded) {
      const answer = await call({ type: 'pinUnlock', deviceId, blinded });
      return answer.ok
        ? { answer: { ok: true, evaluated: answer.evaluated, attemptsLeft: answer.attemptsLeft }, nonce: answer.nonce }
        : { answer: { ok: false, code: answer.code, message: answer.code }, nonce: null };
    },
    async rekey(deviceId, build) {
      const socket = await call({ type: 'pinNonce', deviceId });
      if (!socket.ok) return { answer: { ok: false, code: socket.code, message: socket.code }, nonce: null };
      const frame = await build(socket.nonce);
      if (frame.type !== 'rekey') throw new Error('not a rekey frame');
      const answer = await call({ type: 'pinRekey', nonce: socket.nonce, frame });
      return answer.ok
        ? { answer: { ok: true, evaluated: answer.evaluated, attemptsLeft: null }, nonce: answer.nonce }
        : { answer: { ok: false, code: answer.code, message: answer.code }, nonce: null };
    },
    async sendOn(nonce: string, frame: DeviceToRelayMessage) {
      if (frame.type !== 'unlock_proof') return false;
      return (await call({ type: 'pinProof', nonce, frame })).ok;
    },
  };
}

const signerFor = (account: PinAccount) => (secret: Uint8Array) => webCryptoDeviceCrypto.approvalSigner(secret, account.publicKey);

export type AccountUnlock = { ok: true; secretKey: Uint8Array; wrappingKey: CryptoKey; upgraded: boolean } | Failure;

/**
 * The approval key of `account`, opened with `pin`: through the relay's evaluation (`unlock`,
 * unwrap, `unlock_proof`), or, for a revision-2 account, by the upgrade: the old lock opens it,
 * the relay evaluates the PIN, the key is wrapped again and confirmed, and only then does the old
 * copy go. The caller wipes `secretKey` after its signatures.
 */
export async function unlockAccount(account: PinAccount, pin: string): Promise<AccountUnlock> {
  if (!isValidPin(pin)) return { ok: false, code: 'invalid_pin' };
  if (account.pinLocked) return { ok: false, code: 'pin_locked' };
  const channel = workerPinChannel(account.relayOrigin);
  if (account.legacy) {
    const secretKey = await unwrapLegacy(pin, account.legacy.lock, { publicKey: account.publicKey, wrappedKey: account.legacy.wrappedKey });
    // The old lock still tells a wrong PIN by itself; the relay is not asked, so nothing is counted.
    if (!secretKey) return { ok: false, code: 'wrong_pin', attemptsLeft: null };
    const made = await wrapAndConfirm({ pin, deviceId: account.deviceId, secretKey, channel, approvalSigner: signerFor(account) });
    if (!made.ok) {
      secretKey.fill(0);
      return { ok: false, code: made.code };
    }
    const stored = await call({ type: 'pinStore', deviceId: account.deviceId, pinWrap: made.wrapped });
    if (stored.ok) await call({ type: 'pinConfirmed', deviceId: account.deviceId });
    return { ok: true, secretKey, wrappingKey: made.key, upgraded: stored.ok };
  }
  if (!account.pinWrap) return { ok: false, code: 'needs_re_add' };
  const unlocked = await unlockWithPin({
    pin,
    deviceId: account.deviceId,
    wrapped: account.pinWrap,
    channel,
    approvalSigner: signerFor(account),
  });
  if (!unlocked.ok) {
    return unlocked.code === 'wrong_pin'
      ? { ok: false, code: 'wrong_pin', attemptsLeft: unlocked.attemptsLeft }
      : { ok: false, code: unlocked.code };
  }
  return { ok: true, secretKey: unlocked.secretKey, wrappingKey: unlocked.wrappingKey, upgraded: false };
}

/** Gives the worker an account's wrapping key for 5 minutes (a CryptoKey cannot travel in a runtime message). */
export function rememberWrappingKey(deviceId: string, key: CryptoKey): void {
  const channel = new BroadcastChannel(REMEMBER_CHANNEL);
  channel.postMessage({ deviceId, key } satisfies RememberHandover);
  channel.close();
}

/** Approve with the PIN: unlock with the relay, sign the decision here, and let the worker send it. */
export async function approveWithPin(input: {
  account: PinAccount;
  requestId: string;
  number: string;
  pin: string;
  remember: boolean;
}): Promise<{ ok: true; signed: DecisionMessage } | Failure> {
  const unlocked = await unlockAccount(input.account, input.pin);
  if (!unlocked.ok) return unlocked;
  try {
    const signed = await buildDecision({
      relayOrigin: input.account.relayOrigin,
      requestId: input.requestId,
      deviceId: input.account.deviceId,
      decision: 'approve',
      number: input.number,
      signedAt: Date.now(),
      unlock: 'pin',
      signer: signerFor(input.account)(unlocked.secretKey),
    });
    if (input.remember) rememberWrappingKey(input.account.deviceId, unlocked.wrappingKey);
    return { ok: true, signed };
  } finally {
    unlocked.secretKey.fill(0);
  }
}

/**
 * Checks a PIN against one account already on this device (a counted unlock, proven at once when
 * right), so a new pairing is wrapped under the same PIN as the others. Nothing stored here could
 * check it. With no account that can take a PIN, there is nothing to check against.
 */
export async function checkPinWith(accounts: PinAccount[], pin: string): Promise<{ ok: true } | Failure> {
  const candidate = accounts.find((account) => !account.pinLocked && (account.pinWrap || account.legacy));
  if (!candidate) return { ok: true };
  const unlocked = await unlockAccount(candidate, pin);
  if (!unlocked.ok) return unlocked;
  unlocked.secretKey.fill(0);
  return { ok: true };
}

export interface PinChangeReport {
  ok: boolean;
  /** Accounts now on the new PIN. */
  changed: string[];
  /** Accounts that were not changed (still on the old PIN), with why. */
  failed: Array<{ upn: string; relayOrigin: string; code: string }>;
}

/**
 * A PIN change (section 4a): every relay must be reachable first (else `relays_unreachable`
 * names them). The old PIN is checked on one account before anything changes. Then, for every
 * account: unlock with the old PIN, `rekey` with the new one (a new OPRF key on the relay, so an
 * old copy of this profile opens nothing), store the new wrap at once (the old key is gone on the
 * relay), confirm it with an unlock of the new PIN, wipe.
 */
export async function changePinEverywhere(accounts: PinAccount[], oldPin: string, newPin: string): Promise<PinChangeReport | Failure> {
  if (!isValidPin(newPin)) return { ok: false, code: 'invalid_pin' };
  if (accounts.some((account) => account.legacy)) return { ok: false, code: 'upgrade_first' };
  const usable = accounts.filter((account) => account.pinWrap && !account.pinLocked);
  if (usable.length === 0) return { ok: false, code: 'no_accounts' };
  const { unreachable } = await call({ type: 'pinReachability' });
  if (unreachable.length > 0) return { ok: false, code: 'relays_unreachable', relays: unreachable };
  const report: PinChangeReport = { ok: true, changed: [], failed: [] };
  for (const [index, account] of usable.entries()) {
    const unlocked = await unlockAccount(account, oldPin);
    if (!unlocked.ok) {
      // A wrong old PIN on the first account changes nothing anywhere.
      if (index === 0) return unlocked;
      report.failed.push({ upn: account.upn, relayOrigin: account.relayOrigin, code: unlocked.code });
      continue;
    }
    try {
      const code = await rekeyOne(account, unlocked.secretKey, newPin);
      if (code) report.failed.push({ upn: account.upn, relayOrigin: account.relayOrigin, code });
      else report.changed.push(account.upn);
    } finally {
      unlocked.secretKey.fill(0);
    }
  }
  report.ok = report.failed.length === 0;
  return report;
}

/** One account's rekey, store and confirmation; a rekey that got no answer is tried once more. Null when done. */
async function rekeyOne(account: PinAccount, secretKey: Uint8Array, newPin: string): Promise<string | null> {
  const channel = workerPinChannel(account.relayOrigin);
  const input = { newPin, deviceId: account.deviceId, secretKey, channel, approvalSigner: signerFor(account) };
  let rekeyed = await rekeyAccount(input);
  if (!rekeyed.ok && (rekeyed.code === 'offline' || rekeyed.code === 'timeout')) rekeyed = await rekeyAccount(input);
  if (!rekeyed.ok) return rekeyed.code;
  const stored = await call({ type: 'pinStore', deviceId: account.deviceId, pinWrap: rekeyed.wrapped });
  if (!stored.ok) return stored.code;
  const confirmed = await confirmNewWrap({
    pin: newPin,
    deviceId: account.deviceId,
    wrapped: rekeyed.wrapped,
    channel,
    approvalSigner: signerFor(account),
    secretKey,
  });
  if (!confirmed.ok) return confirmed.code;
  await call({ type: 'pinConfirmed', deviceId: account.deviceId });
  return null;
}
