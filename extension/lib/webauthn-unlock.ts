import { fromBase64Url, utf8 } from '../../protocol/index.ts';
import type { ActiveAccount, BiometricRecord, Db } from './db.ts';
import { activeAccounts } from './db.ts';
import { approvalKeyLabel, makeLockCheck, opensLockCheck, unwrapSecret, wrapSecret, type WrappedSecret } from './key-wrap.ts';

/**
 * Biometric unlock, the worker's side: the 32-byte WebAuthn PRF output that an extension page
 * obtained (the worker has no `navigator.credentials`) goes through HKDF-SHA-256 to an AES-GCM
 * key, which wraps a second copy of each account's approval key. The PRF output arrives for one
 * setup or one decision and is never stored; the PIN-wrapped copies stay, so the PIN remains the
 * fallback, and turning biometric unlock off only deletes the PRF-wrapped copies.
 */

export const PRF_OUTPUT_BYTES = 32;
const HKDF_SALT = utf8('countersign/v1/webauthn-unlock/salt');
const HKDF_INFO = utf8('countersign/v1/webauthn-unlock/aes-gcm');

function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** The PRF-key twin of `approvalKeyLabel`: another label, so the two wraps can never be swapped. */
export function webAuthnKeyLabel(publicKey: string): string {
  return `countersign/v2/approval-key/webauthn\n${publicKey}`;
}

/** HKDF-SHA-256 from the PRF output to a non-extractable AES-256-GCM key. */
export async function derivePrfKey(prfOutput: Uint8Array): Promise<CryptoKey> {
  if (prfOutput.length !== PRF_OUTPUT_BYTES) throw new RangeError(`a PRF output has ${PRF_OUTPUT_BYTES} bytes`);
  const material = await crypto.subtle.importKey('raw', buf(prfOutput), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(HKDF_SALT), info: buf(HKDF_INFO) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Decodes a PRF output sent by a page (base64url); null unless exactly 32 bytes. */
export function decodePrfOutput(encoded: string): Uint8Array | null {
  try {
    const bytes = fromBase64Url(encoded);
    return bytes.length === PRF_OUTPUT_BYTES ? bytes : null;
  } catch {
    return null;
  }
}

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
 * Turns biometric unlock on (or covers accounts added since): every active account's approval
 * key is unwrapped with the checked PIN key and wrapped again under the PRF key. All crypto runs
 * before the one write, so a failure leaves the previous state.
 */
export async function enableBiometric(
  db: Db,
  input: { pinKey: CryptoKey; credentialId: string; prfSalt: string; prfOutput: Uint8Array; now: number },
): Promise<BiometricRecord> {
  const prfKey = await derivePrfKey(input.prfOutput);
  const wrappedKeys: Record<string, WrappedSecret> = {};
  for (const account of await activeAccounts(db)) {
    const secret = await unwrapSecret(input.pinKey, account.wrappedKey, approvalKeyLabel(account.publicKey));
    try {
      wrappedKeys[account.deviceId] = await wrapSecret(prfKey, secret, webAuthnKeyLabel(account.publicKey));
    } finally {
      secret.fill(0);
    }
  }
  const record: BiometricRecord = {
    key: 'biometric',
    credentialId: input.credentialId,
    prfSalt: input.prfSalt,
    check: await makeLockCheck(prfKey),
    wrappedKeys,
    enabledAt: input.now,
  };
  await db.put('settings', record);
  return record;
}

/** Turns biometric unlock off: the PRF-wrapped copies go; the PIN-wrapped ones were never touched. */
export async function disableBiometric(db: Db): Promise<void> {
  await db.delete('settings', 'biometric');
}

export type BiometricUnlockProblem = 'biometric_off' | 'biometric_not_covered' | 'biometric_mismatch' | 'invalid_prf';

/** The key and wrapped copy that sign one approve for `account`, from one PRF output. */
export interface WebAuthnUnlock {
  key: CryptoKey;
  wrappedKey: WrappedSecret;
}

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

/** Unwraps the PRF-wrapped approval key; the caller wipes it after one signature. */
export async function unwrapWithPrfKey(unlock: WebAuthnUnlock, account: Pick<ActiveAccount, 'publicKey'>): Promise<Uint8Array> {
  return unwrapSecret(unlock.key, unlock.wrappedKey, webAuthnKeyLabel(account.publicKey));
}
