import { fromBase64Url, randomBytes, toBase64Url, utf8 } from '../../protocol/index.ts';

/**
 * The device lock's cryptography: a PIN-derived AES-GCM key (PBKDF2-SHA-256) wraps every
 * account's approval key. Iterations are a parameter only so unit tests run fast; production
 * always passes PBKDF2_ITERATIONS, which a test pins at or above 600,000.
 */

/** WebCrypto wants ArrayBuffer-backed views; the protocol helpers return ArrayBufferLike ones. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

export const PBKDF2_ITERATIONS = 600_000;
export const MIN_PIN_DIGITS = 6;

export interface WrappedSecret {
  /** 12-byte AES-GCM nonce, base64url */
  iv: string;
  /** ciphertext with the 16-byte tag, base64url */
  ciphertext: string;
}

export function isValidPin(pin: string): boolean {
  return new RegExp(`^[0-9]{${MIN_PIN_DIGITS},32}$`).test(pin);
}

export function newSalt(): string {
  return toBase64Url(randomBytes(16));
}

export async function deriveWrappingKey(pin: string, salt: string, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', buf(utf8(pin)), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(fromBase64Url(salt)), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** `label` is bound as associated data, so a wrapped key cannot be swapped onto another record. */
export async function wrapSecret(key: CryptoKey, secret: Uint8Array, label: string): Promise<WrappedSecret> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(utf8(label)) }, key, buf(secret));
  return { iv: toBase64Url(iv), ciphertext: toBase64Url(new Uint8Array(ciphertext)) };
}

/** Throws (WebCrypto OperationError) when the PIN, and so the key, is wrong. */
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

export async function makeLockCheck(key: CryptoKey): Promise<WrappedSecret> {
  return wrapSecret(key, LOCK_CHECK_VALUE, LOCK_CHECK_LABEL);
}

/** True when `key` opens the lock's check value (that is, the PIN was right). */
export async function opensLockCheck(key: CryptoKey, check: WrappedSecret): Promise<boolean> {
  try {
    await unwrapSecret(key, check, LOCK_CHECK_LABEL);
    return true;
  } catch {
    return false;
  }
}

/**
 * Associated data of a wrapped approval key: binds it to its account's approval public key, so a
 * wrapped key cannot be moved onto another record. (`v2`: revision 1's one-key wraps used a
 * different label and are never unwrapped again.)
 */
export function approvalKeyLabel(publicKey: string): string {
  return `countersign/v2/approval-key\n${publicKey}`;
}
