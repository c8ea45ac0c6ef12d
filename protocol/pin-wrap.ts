import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

/**
 * The PIN wrapping key of section 4a and the AES-256-GCM wrap under it: WebCrypto only, free of
 * the OPRF (protocol/pin-oprf.ts), so code that only wraps and unwraps carries no curve library.
 */

/** WebCrypto wants ArrayBuffer-backed views. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** HKDF info of the wrapping key: bound to the relay, so one relay's output opens nothing on another. */
export function pinWrapInfo(relayOrigin: string): string {
  return `countersign/v1/pin-wrap\n${relayOrigin}`;
}

/**
 * The wrapping key of section 4a: HKDF-SHA-256 over the OPRF output, salt = the deviceId's 16
 * bytes, info = `countersign/v1/pin-wrap\n` + relayOrigin. An AES-256-GCM key, not extractable.
 * Wipes `output`.
 */
export async function pinWrappingKey(input: { output: Uint8Array; deviceId: string; relayOrigin: string }): Promise<CryptoKey> {
  try {
    const material = await crypto.subtle.importKey('raw', buf(input.output), 'HKDF', false, ['deriveKey']);
    return await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: fromBase64Url(input.deviceId), info: utf8(pinWrapInfo(input.relayOrigin)) },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  } finally {
    input.output.fill(0);
  }
}

/** An approval key wrapped under a PIN wrapping key (section 4a). */
export interface PinWrappedKey {
  /** 12-byte random nonce, base64url */
  iv: string;
  /** AES-256-GCM ciphertext with its 16-byte tag, base64url */
  ciphertext: string;
}

/** AES-256-GCM with a random 12-byte nonce and the deviceId as additional data. */
export async function wrapWithPinKey(key: CryptoKey, secret: Uint8Array, deviceId: string): Promise<PinWrappedKey> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(deviceId) }, key, buf(secret));
  return { iv: toBase64Url(iv), ciphertext: toBase64Url(new Uint8Array(ciphertext)) };
}

/**
 * The approval key, or null when the GCM tag fails: the PIN was wrong (section 4a says nothing
 * else may tell). The caller wipes the bytes after one signature.
 */
export async function unwrapWithPinKey(key: CryptoKey, wrapped: PinWrappedKey, deviceId: string): Promise<Uint8Array | null> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(wrapped.iv), additionalData: utf8(deviceId) },
      key,
      fromBase64Url(wrapped.ciphertext),
    );
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}
