import { p256 } from '@noble/curves/nist.js';
import { fromBase64Url, toBase64Url } from './encoding.ts';

/**
 * Device keys (docs/protocol.md section 2): ECDSA P-256 over SHA-256, public keys as 65-byte
 * uncompressed SEC1 points, signatures as 64-byte r‖s. Used by the extension and the virtual
 * device; the relay verifies with node:crypto instead (faster), and the vectors keep both honest.
 */
export interface DeviceKeyPair {
  secretKey: Uint8Array;
  /** base64url of the uncompressed point */
  publicKey: string;
}

export function generateDeviceKeyPair(): DeviceKeyPair {
  const secretKey = p256.utils.randomSecretKey();
  return { secretKey, publicKey: toBase64Url(p256.getPublicKey(secretKey, false)) };
}

export function publicKeyOf(secretKey: Uint8Array): string {
  return toBase64Url(p256.getPublicKey(secretKey, false));
}

/** Signs a statement (hashed with SHA-256 inside) and returns base64url r‖s. */
export function signStatement(statement: Uint8Array, secretKey: Uint8Array): string {
  return toBase64Url(p256.sign(statement, secretKey));
}

/** Accepts high-S as well as low-S signatures, as the protocol requires of every verifier. */
export function verifyStatementWithNoble(statement: Uint8Array, signature: string, publicKey: string): boolean {
  try {
    return p256.verify(fromBase64Url(signature), statement, fromBase64Url(publicKey), { lowS: false });
  } catch {
    return false;
  }
}
