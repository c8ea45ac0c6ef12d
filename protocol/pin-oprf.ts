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

// The wrapping key and the wrap itself need no OPRF code: they live in pin-wrap.ts, so the
// extension's background worker can use them without noble.
export { pinWrapInfo, pinWrappingKey, unwrapWithPinKey, wrapWithPinKey, type PinWrappedKey } from './pin-wrap.ts';
