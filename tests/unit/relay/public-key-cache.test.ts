import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../protocol/encoding.ts';
import { PublicKeyCache } from '../../../relay-server/security/public-key-cache.ts';

function newPoint(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return toBase64Url(new Uint8Array([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]));
}

describe('PublicKeyCache', () => {
  it('imports a point once while it is in use, and the key is the point', () => {
    const cache = new PublicKeyCache(2);
    const point = newPoint();
    const key = cache.get(point);
    expect(cache.get(point)).toBe(key);
    const jwk = key.export({ format: 'jwk' });
    expect(toBase64Url(new Uint8Array([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]))).toBe(point);
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new PublicKeyCache(2);
    const [a, b, c] = [newPoint(), newPoint(), newPoint()];
    const keyA = cache.get(a);
    const keyB = cache.get(b);
    cache.get(a); // a is now more recent than b
    cache.get(c); // b goes
    expect(cache.size).toBe(2);
    expect(cache.get(a)).toBe(keyA);
    expect(cache.get(b)).not.toBe(keyB);
  });

  it('throws on a point that is not an uncompressed P-256 key, and keeps nothing of it', () => {
    const cache = new PublicKeyCache(2);
    expect(() => cache.get(toBase64Url(new Uint8Array(65)))).toThrow();
    expect(() => cache.get('not base64url!')).toThrow();
    expect(cache.size).toBe(0);
  });
});
