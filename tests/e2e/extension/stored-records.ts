import type { StoredValue } from '../../../testing/playwright-fixture.ts';

/**
 * Reading the dump of the extension's database (Authenticator.readDatabase) in tests: where
 * its CryptoKeys are, and the records the key tests look at.
 */

export interface DescribedKey {
  type: string;
  extractable: boolean;
  algorithm: { name: string; namedCurve?: string };
  usages: string[];
  signature?: string;
}

/** Every CryptoKey in a stored value, with the path to it (e.g. `.connectKey`). */
export function cryptoKeysIn(value: unknown, path = ''): Array<{ path: string; key: DescribedKey }> {
  if (typeof value !== 'object' || value === null) return [];
  if ('cryptoKey' in value && Object.keys(value).length === 1) return [{ path, key: (value as { cryptoKey: DescribedKey }).cryptoKey }];
  return Object.entries(value).flatMap(([name, inner]) => cryptoKeysIn(inner, `${path}.${name}`));
}

export interface StoredAccount {
  status: string;
  deviceId: string;
  upn: string;
  publicKey: string;
  connectPublicKey: string;
  wrappedKey: { iv: string; ciphertext: string };
  connectKey: { cryptoKey: DescribedKey };
}

export interface StoredLock {
  key: 'lock';
  salt: string;
  iterations: number;
}

export function accountsOf(dump: Record<string, StoredValue[]>): StoredAccount[] {
  return (dump.accounts ?? []) as unknown as StoredAccount[];
}

export function lockOf(dump: Record<string, StoredValue[]>): StoredLock {
  const lock = (dump.settings ?? []).find((record) => record.key === 'lock');
  if (!lock) throw new Error('no PIN lock stored');
  return lock as unknown as StoredLock;
}
