import type { ActiveAccount, Db, LockRecord, PinAttemptsRecord } from './db.ts';
import { activeAccounts, readLock } from './db.ts';
import {
  PBKDF2_ITERATIONS,
  approvalKeyLabel,
  deriveWrappingKey,
  isValidPin,
  makeLockCheck,
  newSalt,
  opensLockCheck,
  unwrapSecret,
  wrapSecret,
} from './key-wrap.ts';

/**
 * The device lock: setting, checking and changing the PIN, with a persisted slow-down so that
 * restarting the worker does not reset the count of wrong guesses.
 */

export const FREE_PIN_ATTEMPTS = 5;
export const FIRST_DELAY_MS = 30_000;
export const MAX_DELAY_MS = 8 * 60 * 60_000;

/**
 * How long to wait after `failures` wrong PINs in a row: nothing for the first four, then
 * 30 s after the fifth, doubling with each further failure (capped at 8 hours).
 */
export function pinDelayMs(failures: number): number {
  if (failures < FREE_PIN_ATTEMPTS) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - FREE_PIN_ATTEMPTS));
}

export type PinCheck =
  | { ok: true; key: CryptoKey; lock: LockRecord }
  | { ok: false; code: 'no_lock' | 'invalid_pin' }
  | { ok: false; code: 'wrong_pin' | 'locked'; retryAt: number; failures: number };

async function readAttempts(db: Db): Promise<PinAttemptsRecord> {
  const record = await db.get('settings', 'pinAttempts');
  return record?.key === 'pinAttempts' ? record : { key: 'pinAttempts', failures: 0, lockedUntil: 0 };
}

export async function pinStatus(db: Db, now: number): Promise<{ failures: number; retryAt: number | null }> {
  const attempts = await readAttempts(db);
  return { failures: attempts.failures, retryAt: attempts.lockedUntil > now ? attempts.lockedUntil : null };
}

/** Checks a PIN against the lock, honouring and updating the slow-down. */
export async function checkPin(db: Db, pin: string, now: number): Promise<PinCheck> {
  const lock = await readLock(db);
  if (!lock) return { ok: false, code: 'no_lock' };
  const attempts = await readAttempts(db);
  if (attempts.lockedUntil > now) {
    return { ok: false, code: 'locked', retryAt: attempts.lockedUntil, failures: attempts.failures };
  }
  const key = isValidPin(pin) ? await deriveWrappingKey(pin, lock.salt, lock.iterations) : null;
  if (key && (await opensLockCheck(key, lock.check))) {
    if (attempts.failures > 0) await db.put('settings', { key: 'pinAttempts', failures: 0, lockedUntil: 0 });
    return { ok: true, key, lock };
  }
  const failures = attempts.failures + 1;
  const lockedUntil = now + pinDelayMs(failures);
  await db.put('settings', { key: 'pinAttempts', failures, lockedUntil });
  return { ok: false, code: 'wrong_pin', retryAt: lockedUntil, failures };
}

/** Sets the first PIN. Refuses when a lock already exists (that is `changePin`). */
export async function setupPin(db: Db, pin: string, iterations = PBKDF2_ITERATIONS): Promise<'ok' | 'invalid_pin' | 'already_set'> {
  if (!isValidPin(pin)) return 'invalid_pin';
  if (await readLock(db)) return 'already_set';
  const salt = newSalt();
  const key = await deriveWrappingKey(pin, salt, iterations);
  const lock: LockRecord = { key: 'lock', salt, iterations, check: await makeLockCheck(key) };
  const tx = db.transaction('settings', 'readwrite');
  if (await tx.store.get('lock')) {
    tx.abort();
    return 'already_set';
  }
  await tx.store.put(lock);
  await tx.done;
  return 'ok';
}

/**
 * Re-wraps every approval key under a key derived from the new PIN and a fresh salt. All crypto
 * runs first; the new lock and keys are then written in one transaction, so a crash leaves
 * either the old PIN or the new one working, never a mix.
 */
export async function changePin(
  db: Db,
  oldPin: string,
  newPin: string,
  now: number,
  iterations = PBKDF2_ITERATIONS,
): Promise<{ ok: true } | Exclude<PinCheck, { ok: true }>> {
  if (!isValidPin(newPin)) return { ok: false, code: 'invalid_pin' };
  const check = await checkPin(db, oldPin, now);
  if (!check.ok) return check;
  const salt = newSalt();
  const newKey = await deriveWrappingKey(newPin, salt, iterations);
  const accounts = await activeAccounts(db);
  const rewrapped: ActiveAccount[] = [];
  for (const account of accounts) {
    const label = approvalKeyLabel(account.publicKey);
    const secret = await unwrapSecret(check.key, account.wrappedKey, label);
    try {
      rewrapped.push({ ...account, wrappedKey: await wrapSecret(newKey, secret, label) });
    } finally {
      secret.fill(0);
    }
  }
  const lock: LockRecord = { key: 'lock', salt, iterations, check: await makeLockCheck(newKey) };
  const tx = db.transaction(['settings', 'accounts'], 'readwrite');
  await Promise.all([tx.objectStore('settings').put(lock), ...rewrapped.map((account) => tx.objectStore('accounts').put(account))]);
  await tx.done;
  return { ok: true };
}

/** Unwraps one account's approval key with an already checked PIN key. The caller wipes the bytes after one use. */
export async function unwrapApprovalKey(key: CryptoKey, account: Pick<ActiveAccount, 'publicKey' | 'wrappedKey'>): Promise<Uint8Array> {
  return unwrapSecret(key, account.wrappedKey, approvalKeyLabel(account.publicKey));
}
