import { fromBase64Url, randomBytes, toBase64Url, utf8 } from '../../protocol/index.ts';

/**
 * AES-GCM wraps with a label as associated data, used by biometric unlock (a key from the WebAuthn
 * PRF output, lib/webauthn-unlock.ts) and by the revision-2 lock until its upgrade
 * (lib/legacy-pin-lock.ts). The PIN's own wrap is section 4a's (protocol/pin-wrap.ts): nothing
 * here derives a key from the PIN.
 */

/** WebCrypto wants ArrayBuffer-backed views; the protocol helpers return ArrayBufferLike ones. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

export interface WrappedSecret {
  /** 12-byte AES-GCM nonce, base64url */
  iv: string;
  /** ciphertext with the 16-byte tag, base64url */
  ciphertext: string;
}

/** `label` is bound as associated data, so a wrapped key cannot be swapped onto another record. */
export async function wrapSecret(key: CryptoKey, secret: Uint8Array, label: string): Promise<WrappedSecret> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(utf8(label)) }, key, buf(secret));
  return { iv: toBase64Url(iv), ciphertext: toBase64Url(new Uint8Array(ciphertext)) };
}

/** Throws (WebCrypto OperationError) when the key is wrong. */
export async function unwrapSecret(key: CryptoKey, wrapped: WrappedSecret, label: string): Promise<Uint8Array> {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: buf(fromBase64Url(wrapped.iv)), additionalData: buf(utf8(label)) },
    key,
    buf(fromBase64Url(wrapped.ciphertext)),
  );
  return new Uint8Array(plain);
}

export const LOCK_CHECK_LABEL = 'countersign/v1/lock-check';
const LOCK_CHECK_VALUE = utf8('countersign lock check v1');

/** A known value wrapped under a key that is not PIN-derived (the WebAuthn PRF key): tells the right credential from another. */
export async function makeLockCheck(key: CryptoKey): Promise<WrappedSecret> {
  return wrapSecret(key, LOCK_CHECK_VALUE, LOCK_CHECK_LABEL);
}

/** True when `key` opens the check value. */
export async function opensLockCheck(key: CryptoKey, check: WrappedSecret): Promise<boolean> {
  try {
    await unwrapSecret(key, check, LOCK_CHECK_LABEL);
    return true;
  } catch {
    return false;
  }
}

/**
 * Associated data of a revision-2 PIN-wrapped approval key: binds it to its account's approval
 * public key. (`v2`: revision 1's one-key wraps used a different label and are never unwrapped.)
 */
export function approvalKeyLabel(publicKey: string): string {
  return `countersign/v2/approval-key\n${publicKey}`;
}
