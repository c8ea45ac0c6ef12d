/**
 * base64url without padding, UTF-8 and CSPRNG ids, using only globals that exist in browsers,
 * service workers and Node alike (so the protocol package stays free of Node or DOM imports).
 */

const utf8Encoder = new TextEncoder();

// Return types name ArrayBuffer so the results go straight into WebCrypto (which refuses ArrayBufferLike).
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return utf8Encoder.encode(text);
}

/** @example toBase64Url(new Uint8Array([251, 255])) === '-_8' */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes base64url without padding; throws on any other alphabet, an impossible length or a non-canonical spelling. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new TypeError('not base64url');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // atob ignores stray low bits in the last character; refuse them so each value has one spelling.
  if (toBase64Url(bytes) !== text) throw new TypeError('not canonical base64url');
  return bytes;
}

/**
 * CSPRNG bytes are fetched 4 KiB at a time and handed out once each, as the uuid package does:
 * one getRandomValues call per id cost more than the randomness (2 % of the relay's CPU per
 * sign-in). Larger requests go straight to the CSPRNG.
 */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (length > 256) return globalThis.crypto.getRandomValues(new Uint8Array(length));
  if (poolOffset + length > pool.length) {
    pool = globalThis.crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + length);
  // Handed-out bytes do not stay behind in the pool.
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return bytes;
}

/** What every protocol id and token looks like: 16 bytes, base64url, 22 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** A protocol id or token: 16 bytes from the CSPRNG, base64url (22 chars). */
export function randomId(): string {
  return toBase64Url(randomBytes(16));
}

/** Uniform integer in [0, bound) from the CSPRNG, by rejection sampling (no modulo bias). */
export function randomInt(bound: number): number {
  if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) throw new RangeError('bad bound');
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const bytes = randomBytes(4);
    const word = new DataView(bytes.buffer).getUint32(0);
    if (word < limit) return word % bound;
  }
}
