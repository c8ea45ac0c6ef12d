import { fromBase64Url, utf8 } from '../../protocol/index.ts';
import type { ActiveAccount } from './db.ts';
import { makeLockCheck, unwrapSecret, wrapSecret, type WrappedSecret } from './key-wrap.ts';

/**
 * Biometric unlock's cryptography, without the database: the 32-byte WebAuthn PRF output goes
 * through HKDF-SHA-256 to an AES-GCM key that wraps a second copy of each account's approval key.
 * Apart from lib/webauthn-unlock.ts (which stores the copies) so the popup, which only wraps,
 * carries no database code.
 */

export const PRF_OUTPUT_BYTES = 32;
const HKDF_SALT = utf8('countersign/v1/webauthn-unlock/salt');
const HKDF_INFO = utf8('countersign/v1/webauthn-unlock/aes-gcm');

function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** The PRF-key twin of `approvalKeyLabel`: another label, so the two wraps can never be swapped. */
export function webAuthnKeyLabel(publicKey: string): string {
  return `countersign/v2/approval-key/webauthn\n${publicKey}`;
}

/** HKDF-SHA-256 from the PRF output to a non-extractable AES-256-GCM key. */
export async function derivePrfKey(prfOutput: Uint8Array): Promise<CryptoKey> {
  if (prfOutput.length !== PRF_OUTPUT_BYTES) throw new RangeError(`a PRF output has ${PRF_OUTPUT_BYTES} bytes`);
  const material = await crypto.subtle.importKey('raw', buf(prfOutput), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(HKDF_SALT), info: buf(HKDF_INFO) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Decodes a PRF output sent by a page (base64url); null unless exactly 32 bytes. */
export function decodePrfOutput(encoded: string): Uint8Array | null {
  try {
    const bytes = fromBase64Url(encoded);
    return bytes.length === PRF_OUTPUT_BYTES ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * Turns biometric unlock on (or covers accounts added since), page side: each account was unlocked
 * with the PIN through its relay (section 4a); its approval key is wrapped again here under the
 * PRF key, and the worker stores the copies (`storeBiometric`). The PRF key never leaves the page.
 */
export async function wrapForBiometric(
  prfOutput: Uint8Array,
  secrets: Array<{ deviceId: string; publicKey: string; secretKey: Uint8Array }>,
): Promise<{ check: WrappedSecret; wrappedKeys: Record<string, WrappedSecret> }> {
  const prfKey = await derivePrfKey(prfOutput);
  const wrappedKeys: Record<string, WrappedSecret> = {};
  for (const { deviceId, publicKey, secretKey } of secrets) {
    wrappedKeys[deviceId] = await wrapSecret(prfKey, secretKey, webAuthnKeyLabel(publicKey));
  }
  return { check: await makeLockCheck(prfKey), wrappedKeys };
}

/** The key and wrapped copy that sign one approve for `account`, from one PRF output. */
export interface WebAuthnUnlock {
  key: CryptoKey;
  wrappedKey: WrappedSecret;
}

/** Unwraps the PRF-wrapped approval key; the caller wipes it after one signature. */
export async function unwrapWithPrfKey(unlock: WebAuthnUnlock, account: Pick<ActiveAccount, 'publicKey'>): Promise<Uint8Array> {
  return unwrapSecret(unlock.key, unlock.wrappedKey, webAuthnKeyLabel(account.publicKey));
}
