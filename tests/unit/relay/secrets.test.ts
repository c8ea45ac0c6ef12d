import { describe, expect, it } from 'vitest';
import { randomId } from '../../../protocol/encoding.ts';
import { hashSecret, matchesDigest, secretsEqual } from '../../../relay-server/security/secrets.ts';

describe('stored secrets', () => {
  it('match only the secret they were made from', () => {
    const token = randomId();
    const digest = hashSecret(token);
    expect(digest).not.toContain(token);
    expect(matchesDigest(token, digest)).toBe(true);
    expect(matchesDigest(randomId(), digest)).toBe(false);
    expect(matchesDigest(`${token} `, digest)).toBe(false);
  });

  it('refuse a digest of another length without throwing', () => {
    const token = randomId();
    expect(matchesDigest(token, hashSecret(token).slice(1))).toBe(false);
    expect(matchesDigest(token, '')).toBe(false);
  });

  it('compare raw tokens of different lengths without throwing', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
  });
});
