import { p256_oprf } from '@noble/curves/nist.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

/**
 * The PIN hardened by the relay (docs/protocol.md section 4a): RFC 9497, suite P256-SHA256,
 * mode OPRF, through noble's `p256_oprf`. The device blinds its PIN and finishes the relay's
 * evaluation; the relay evaluates with a per-device secret key and never sees the PIN.
 *
 * Kept out of protocol/index.ts on purpose: noble's OPRF is ~40 KB, and the extension loads it
 * only in the pages that take a PIN.
 */

const oprf = p256_oprf.oprf;

/** What the device keeps between `unlock` and `unlocked`: the blind never leaves the device. */
export interface BlindedPin {
  /** The secret blind scalar; wiped by `finishPin`. */
  blind: Uint8Array;
  /** The serialized blinded element, base64url: the `blinded` of `unlock`, `rekey`, `pinBlinded`. */
  blinded: string;
}

/** Device side, step 1. `rng` exists for RFC 9497's test vectors; real callers leave it out. */
export function blindPin(pin: string, rng?: (bytes?: number) => Uint8Array<ArrayBuffer>): BlindedPin {
  const { blind, blinded } = rng ? oprf.blind(utf8(pin), rng) : oprf.blind(utf8(pin));
  return { blind, blinded: toBase64Url(blinded) };
}

/**
 * Device side, step 2: the 32-byte OPRF output from the relay's `evaluated` element. Throws on an
 * element that is not a valid point (RFC 9497 section 3.3). Wipes the blind.
 */
export function finishPin(pin: string, pending: BlindedPin, evaluated: string): Uint8Array {
  try {
    return oprf.finalize(utf8(pin), pending.blind, fromBase64Url(evaluated));
  } finally {
    pending.blind.fill(0);
  }
}

/** Relay side: a fresh OPRF secret key (32 bytes, nonzero scalar, from the CSPRNG). */
export function newOprfSecretKey(): Uint8Array {
  return oprf.generateKeyPair().secretKey;
}

/**
 * Relay side, the reference: k·B with noble. Throws on an element that does not decode to a
 * point or is the identity. The relay's hot path computes the same with OpenSSL
 * (relay-server/security/oprf-evaluate.ts), tested against this.
 */
export function evaluateBlindedPin(secretKey: Uint8Array, blinded: string): string {
  return toBase64Url(oprf.blindEvaluate(secretKey, fromBase64Url(blinded)));
}

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
