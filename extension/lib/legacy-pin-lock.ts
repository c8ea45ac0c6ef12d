import { fromBase64Url, utf8 } from '../../protocol/index.ts';
import type { LockRecord } from './db.ts';
import { approvalKeyLabel, unwrapSecret, type WrappedSecret } from './key-wrap.ts';

/**
 * Revision 2's PIN lock, kept only to upgrade accounts paired under it: the
 * PBKDF2-SHA-256 key of the PIN opens the old wrap once, at the next approval, and the account is
 * wrapped again under section 4a's key. Loaded by the pages that take a PIN, never by the worker.
 */

/** What revision 2 wrote: 600,000 iterations (a record says its own). */
export const LEGACY_PBKDF2_ITERATIONS = 600_000;

export async function legacyPinKey(pin: string, lock: Pick<LockRecord, 'salt' | 'iterations'>): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', utf8(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: fromBase64Url(lock.salt), iterations: lock.iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** The approval key from its revision-2 wrap, or null when the PIN is wrong. The caller wipes it. */
export async function unwrapLegacy(
  pin: string,
  lock: Pick<LockRecord, 'salt' | 'iterations'>,
  account: { publicKey: string; wrappedKey: WrappedSecret },
): Promise<Uint8Array | null> {
  try {
    return await unwrapSecret(await legacyPinKey(pin, lock), account.wrappedKey, approvalKeyLabel(account.publicKey));
  } catch {
    return null;
  }
}
