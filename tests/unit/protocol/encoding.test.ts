import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomBytes, randomId, randomInt, toBase64Url, utf8 } from '../../../protocol/index.ts';

describe('toBase64Url()', () => {
  it('uses - and _ and no padding', () => {
    expect(toBase64Url(new Uint8Array([251, 255]))).toBe('-_8');
    expect(toBase64Url(new Uint8Array([0xfb, 0xef, 0xff]))).toBe('--__');
    expect(toBase64Url(new Uint8Array([]))).toBe('');
    expect(toBase64Url(new Uint8Array([1]))).toBe('AQ');
  });

  it('agrees with Node’s base64url', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });
});

describe('fromBase64Url()', () => {
  it('round-trips every length and every byte value', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });

  it.each([
    ['padding', 'AQ=='],
    ['a single pad character', 'AQI='],
    ['the standard alphabet’s +', 'a+b/'],
    ['the standard alphabet’s /', 'ab/c'],
    ['whitespace', 'AQ I'],
    ['a newline', 'AQID\n'],
    ['a non-ASCII letter', 'AQIé'],
    ['an impossible length', 'AQIDB'],
    ['a non-canonical last character', 'AR'],
  ])('rejects %s', (_, text) => {
    expect(() => fromBase64Url(text)).toThrow(TypeError);
  });
});

describe('utf8()', () => {
  it('encodes as UTF-8', () => {
    expect([...utf8('é€')]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac]);
  });
});

describe('randomId()', () => {
  it('is 22 base64url characters holding 16 bytes', () => {
    const id = randomId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(fromBase64Url(id)).toHaveLength(16);
  });

  it('does not repeat over 10,000 draws', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    expect(ids.size).toBe(10_000);
  });
});

describe('randomInt()', () => {
  it.each([1, 2, 3, 10, 100, 1_000_000, 2 ** 32])('stays in [0, %i)', (bound) => {
    for (let i = 0; i < 1_000; i++) {
      const value = randomInt(bound);
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(bound);
    }
  });

  it('returns 0 for a bound of 1 and reaches both ends of a small range', () => {
    expect(randomInt(1)).toBe(0);
    const seen = new Set(Array.from({ length: 500 }, () => randomInt(3)));
    expect(seen).toEqual(new Set([0, 1, 2]));
  });

  it.each([0, -1, 1.5, 2 ** 32 + 1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a bound of %s', (bound) => {
    expect(() => randomInt(bound)).toThrow(RangeError);
  });
});

describe('randomBytes() from its pool', () => {
  it('never hands out the same bytes twice, across many pool refills and sizes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(16 + (i % 7));
      expect(bytes).toHaveLength(16 + (i % 7));
      const hex = Buffer.from(bytes).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  });

  it('gives each caller its own copy, and large requests straight from the CSPRNG', () => {
    const first = randomBytes(32);
    const copy = Uint8Array.from(first);
    randomBytes(32);
    expect(first).toEqual(copy);
    expect(randomBytes(1000)).toHaveLength(1000);
    // Roughly uniform: the mean of many bytes is near 127.5.
    const many = randomBytes(60_000);
    const mean = many.reduce((total, byte) => total + byte, 0) / many.length;
    expect(Math.abs(mean - 127.5)).toBeLessThan(2);
  });
});
