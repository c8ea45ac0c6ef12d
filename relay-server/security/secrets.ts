import { createHash, timingSafeEqual } from 'node:crypto';

/** Tokens are stored as SHA-256 digests: they are 128-bit random, so no salt or stretching is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Whether `secret` hashes to `digest` (from `hashSecret`), compared in constant time. */
export function matchesDigest(secret: string, digest: string): boolean {
  const actual = Buffer.from(hashSecret(secret));
  const expected = Buffer.from(digest);
  // Digest lengths are public (every digest has the same length), so only the bytes need hiding.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Constant-time equality for tokens and digests of possibly different lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
