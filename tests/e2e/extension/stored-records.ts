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
  /** Revision 3: the approval key under the key of the relay's OPRF evaluation of the PIN. */
  pinWrap?: { iv: string; ciphertext: string };
  /** Revision 2 only, until the upgrade: the approval key under the PBKDF2 lock. */
  wrappedKey?: { iv: string; ciphertext: string };
  connectKey: { cryptoKey: DescribedKey };
}

export function accountsOf(dump: Record<string, StoredValue[]>): StoredAccount[] {
  return (dump.accounts ?? []) as unknown as StoredAccount[];
}

/** The settings records by key (`prefs`, `biometric`, and revision 2's `lock` while it lasts). */
export function settingsOf(dump: Record<string, StoredValue[]>): Record<string, StoredValue> {
  return Object.fromEntries((dump.settings ?? []).map((record) => [String(record.key), record]));
}
