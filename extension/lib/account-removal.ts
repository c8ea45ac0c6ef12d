import { removeFrame } from '../../protocol/device/index.ts';
import { unlockAccount } from './pin-flows.ts';
import { call } from './runtime-client.ts';
import type { Failure, PinAccount } from './runtime-messages.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * Removing an account (docs/protocol.md section 4 `remove`), the popup's half: unlock the approval
 * key (PIN or WebAuthn), so the relay can be told and stop sending that person's sign-ins here; a
 * thief with only the connect key cannot. When the relay cannot be told (unreachable, the PIN
 * forgotten or locked), the account is forgotten here only, and the person removes it on the
 * relay's security info page.
 */

export type RemovalOutcome =
  | { ok: true; relayTold: true }
  /** Forgotten here only: the relay still lists the authenticator. */
  | { ok: true; relayTold: false; why: 'unreachable' | 'chosen' }
  /** Nothing changed (a wrong PIN, say): the person may try again. */
  | Failure;

/** Codes that mean the relay could not be asked or did not answer. */
const UNREACHABLE = new Set(['offline', 'timeout', 'proof_not_sent', 'not_accepted', 'superseded', 'unknown_device', 'unavailable']);

/** Unlocks with the PIN, signs `remove` over the open socket's nonce, and lets the worker send it. */
export async function removeWithPin(account: PinAccount, pin: string): Promise<RemovalOutcome> {
  const unlocked = await unlockAccount(account, pin);
  if (!unlocked.ok) return UNREACHABLE.has(unlocked.code) ? forgetHere(account.deviceId, 'unreachable') : unlocked;
  let sent: { ok: true } | Failure;
  try {
    const socket = await call({ type: 'pinNonce', deviceId: account.deviceId });
    if (!socket.ok) return forgetHere(account.deviceId, 'unreachable');
    const signer = webCryptoDeviceCrypto.approvalSigner(unlocked.secretKey, account.publicKey);
    const frame = await removeFrame({ relayOrigin: account.relayOrigin, nonce: socket.nonce, deviceId: account.deviceId, signer });
    sent = await call({ type: 'removeFromRelay', nonce: socket.nonce, frame });
  } finally {
    unlocked.secretKey.fill(0);
  }
  return answered(account.deviceId, sent);
}

/** The same, unlocked by WebAuthn: the worker unwraps with the PRF output, signs and sends. */
export async function removeWithBiometric(deviceId: string, prf: string): Promise<RemovalOutcome> {
  const sent = await call({ type: 'removeWithBiometric', deviceId, prf });
  if (!sent.ok && sent.code.startsWith('biometric_')) return sent;
  return answered(deviceId, sent);
}

/** Forgets the account in this extension only; the relay keeps listing it until removed there. */
export async function forgetHere(deviceId: string, why: 'unreachable' | 'chosen'): Promise<RemovalOutcome> {
  const forgotten = await call({ type: 'removeAccount', deviceId });
  return forgotten.ok ? { ok: true, relayTold: false, why } : forgotten;
}

async function answered(deviceId: string, sent: { ok: true } | Failure): Promise<RemovalOutcome> {
  if (sent.ok) return { ok: true, relayTold: true };
  // The relay did not take it (unreachable, or it no longer knows the device): forget it here anyway.
  return forgetHere(deviceId, 'unreachable');
}
