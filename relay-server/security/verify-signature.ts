import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { fromBase64Url } from '../../protocol/encoding.ts';

/**
 * Verifies a device's P-256 signature (64-byte r‖s over SHA-256) with node:crypto, which accepts
 * high-S and low-S alike, as docs/protocol.md section 2 requires.
 */
export function publicKeyFromPoint(publicKey: string): KeyObject {
  const point = fromBase64Url(publicKey);
  if (point.length !== 65 || point[0] !== 4) throw new TypeError('not an uncompressed P-256 point');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(point.subarray(33)).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The 64 bytes r‖s of a base64url signature, or null when it is anything else. */
function signatureBytes(signature: string): Uint8Array | null {
  try {
    const bytes = fromBase64Url(signature);
    return bytes.length === 64 ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * `publicKey` is the encoded point, or a key already imported with `publicKeyFromPoint` (an
 * authenticated socket keeps its devices' keys, so a decision costs no import).
 */
export function verifyDeviceSignature(statement: Uint8Array, signature: string, publicKey: string | KeyObject): boolean {
  const bytes = signatureBytes(signature);
  if (!bytes) return false;
  try {
    const key = typeof publicKey === 'string' ? publicKeyFromPoint(publicKey) : publicKey;
    return verify('sha256', statement, { key, dsaEncoding: 'ieee-p1363' }, bytes);
  } catch {
    return false;
  }
}

/** The same check on libuv's thread pool, off the event loop (docs/performance.md). */
export function verifyDeviceSignatureOffThread(statement: Uint8Array, signature: string, publicKey: KeyObject): Promise<boolean> {
  const bytes = signatureBytes(signature);
  if (!bytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify('sha256', statement, { key: publicKey, dsaEncoding: 'ieee-p1363' }, bytes, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}
