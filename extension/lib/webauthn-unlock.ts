import type { ActiveAccount, BiometricRecord, Db } from './db.ts';
import { activeAccounts } from './db.ts';
import { opensLockCheck, type WrappedSecret } from './key-wrap.ts';
import { decodePrfOutput, derivePrfKey, type WebAuthnUnlock } from './webauthn-wrap.ts';

export {
  PRF_OUTPUT_BYTES,
  decodePrfOutput,
  derivePrfKey,
  unwrapWithPrfKey,
  webAuthnKeyLabel,
  wrapForBiometric,
  type WebAuthnUnlock,
} from './webauthn-wrap.ts';

/**
 * Biometric unlock: the 32-byte WebAuthn PRF output that an extension page obtained (the worker
 * has no `navigator.credentials`) goes through HKDF-SHA-256 to an AES-GCM key, which wraps a
 * second copy of each account's approval key. No relay evaluation is involved (section 4a). The
 * PRF output is never stored; the PIN-wrapped copies stay, so the PIN remains the fallback, and
 * turning biometric unlock off only deletes the PRF-wrapped copies.
 */

export async function readBiometric(db: Db): Promise<BiometricRecord | undefined> {
  const record = await db.get('settings', 'biometric');
  return record?.key === 'biometric' ? record : undefined;
}

/** What the pages need: the credential and salt to ask for the PRF, and which accounts it covers. */
export interface BiometricStatus {
  enabled: boolean;
  credentialId: string | null;
  prfSalt: string | null;
  /** Active accounts whose approval key has a PRF-wrapped copy. */
  covered: number;
  /** Active accounts in all (those added since setup are unlocked with the PIN only). */
  accounts: number;
}

export async function biometricStatus(db: Db): Promise<BiometricStatus> {
  const [record, accounts] = await Promise.all([readBiometric(db), activeAccounts(db)]);
  return {
    enabled: record !== undefined,
    credentialId: record?.credentialId ?? null,
    prfSalt: record?.prfSalt ?? null,
    covered: record ? accounts.filter((account) => record.wrappedKeys[account.deviceId] !== undefined).length : 0,
    accounts: accounts.length,
  };
}

/**
 * Worker side: stores the PRF-wrapped copies. With the same credential already on, the new copies
 * join the old ones ("Include the new accounts"); a new credential starts over.
 */
export async function storeBiometric(
  db: Db,
  input: { credentialId: string; prfSalt: string; check: WrappedSecret; wrappedKeys: Record<string, WrappedSecret>; now: number },
): Promise<BiometricRecord> {
  const existing = await readBiometric(db);
  const same = existing?.credentialId === input.credentialId && existing.prfSalt === input.prfSalt;
  const record: BiometricRecord = {
    key: 'biometric',
    credentialId: input.credentialId,
    prfSalt: input.prfSalt,
    check: same ? existing.check : input.check,
    wrappedKeys: { ...(same ? existing.wrappedKeys : {}), ...input.wrappedKeys },
    enabledAt: same ? existing.enabledAt : input.now,
  };
  await db.put('settings', record);
  return record;
}

/** Turns biometric unlock off: the PRF-wrapped copies go; the PIN-wrapped ones were never touched. */
export async function disableBiometric(db: Db): Promise<void> {
  await db.delete('settings', 'biometric');
}

export type BiometricUnlockProblem = 'biometric_off' | 'biometric_not_covered' | 'biometric_mismatch' | 'invalid_prf';

export async function unlockWithPrf(
  db: Db,
  prfOutput: string,
  account: Pick<ActiveAccount, 'deviceId'>,
): Promise<{ ok: true; unlock: WebAuthnUnlock } | { ok: false; code: BiometricUnlockProblem }> {
  const bytes = decodePrfOutput(prfOutput);
  if (!bytes) return { ok: false, code: 'invalid_prf' };
  const record = await readBiometric(db);
  if (!record) return { ok: false, code: 'biometric_off' };
  const wrappedKey = record.wrappedKeys[account.deviceId];
  if (!wrappedKey) return { ok: false, code: 'biometric_not_covered' };
  try {
    const key = await derivePrfKey(bytes);
    if (!(await opensLockCheck(key, record.check))) return { ok: false, code: 'biometric_mismatch' };
    return { ok: true, unlock: { key, wrappedKey } };
  } finally {
    bytes.fill(0);
  }
}
