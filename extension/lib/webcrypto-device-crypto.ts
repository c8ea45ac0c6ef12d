import { fromBase64Url, toBase64Url } from '../../protocol/index.ts';
import type { DeviceCrypto, StatementSigner } from '../../protocol/device/index.ts';

/**
 * The extension's keys for the device core (docs/protocol.md section 2), all through WebCrypto so
 * the worker carries no curve library:
 * - The approval key leaves `newApprovalKey` as a raw P-256 scalar only because it must be wrapped
 *   under the PIN at once and exist nowhere else. To sign, the unwrapped scalar is imported as a
 *   non-extractable key for that one signature; the caller wipes the scalar.
 * - The connect key is generated non-extractable, so its private half can be stored
 *   (structured-cloned into IndexedDB) and used to sign, but never read by any script.
 */
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * PKCS #8 for a P-256 key with its public point (RFC 5208, RFC 5915): these bytes, the 32-byte
 * scalar, PKCS8_MIDDLE, the 65-byte point. Every field has a fixed length, so no DER parser.
 */
const PKCS8_HEAD = Uint8Array.from([
  0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
]);
const PKCS8_MIDDLE = Uint8Array.from([0xa1, 0x44, 0x03, 0x42, 0x00]);
/** The scalar inside any P-256 PKCS #8 export: version 1, then an OCTET STRING of 32 bytes. */
const SCALAR_PREFIX = [0x02, 0x01, 0x01, 0x04, 0x20];

export const webCryptoDeviceCrypto: DeviceCrypto<CryptoKey> = {
  async newApprovalKey() {
    const pair = await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
    const point = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    try {
      return { secretKey: scalarOf(pkcs8), publicKey: toBase64Url(point) };
    } finally {
      pkcs8.fill(0);
    }
  },
  async newConnectKey() {
    const pair = await crypto.subtle.generateKey(ECDSA_P256, false, ['sign', 'verify']);
    // Only the public half is exported: the uncompressed point, 65 bytes.
    const point = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return { key: pair.privateKey, publicKey: toBase64Url(point) };
  },
  approvalSigner: (secretKey, publicKey) => ({
    publicKey,
    async sign(statement) {
      return signWith(await importApprovalKey(secretKey, publicKey), statement);
    },
  }),
  connectSigner: (key, publicKey): StatementSigner => ({ publicKey, sign: (statement) => signWith(key, statement) }),
};

/** A copy of the scalar, found by its fixed prefix (browsers differ in what surrounds it). */
function scalarOf(pkcs8: Uint8Array): Uint8Array {
  for (let at = 0; at + SCALAR_PREFIX.length + 32 <= pkcs8.length; at++) {
    if (SCALAR_PREFIX.every((byte, i) => pkcs8[at + i] === byte))
      return pkcs8.slice(at + SCALAR_PREFIX.length, at + SCALAR_PREFIX.length + 32);
  }
  throw new Error('unexpected PKCS #8 layout for a P-256 key');
}

async function importApprovalKey(secretKey: Uint8Array, publicKey: string): Promise<CryptoKey> {
  const point = fromBase64Url(publicKey);
  if (secretKey.length !== 32 || point.length !== 65) throw new Error('not a P-256 key pair');
  const der = new Uint8Array(PKCS8_HEAD.length + 32 + PKCS8_MIDDLE.length + 65);
  der.set(PKCS8_HEAD);
  der.set(secretKey, PKCS8_HEAD.length);
  der.set(PKCS8_MIDDLE, PKCS8_HEAD.length + 32);
  der.set(point, PKCS8_HEAD.length + 32 + PKCS8_MIDDLE.length);
  try {
    return await crypto.subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign']);
  } finally {
    der.fill(0);
  }
}

/** WebCrypto's ECDSA signature is r‖s (IEEE P1363), the protocol's format. */
async function signWith(key: CryptoKey, statement: Uint8Array): Promise<string> {
  const signature = await crypto.subtle.sign(ECDSA_SHA256, key, statement as Uint8Array<ArrayBuffer>);
  return toBase64Url(new Uint8Array(signature));
}
