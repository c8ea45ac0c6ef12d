import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { ChallengeMessage, Decision, NoticeKind } from '../../protocol/index.ts';
import type { PinWrappedKey } from '../../protocol/pin-wrap.ts';
import type { WrappedSecret } from './key-wrap.ts';

/**
 * The extension's one IndexedDB database. Every read of a record that matters goes through the
 * typed schema; migrations are steps (`if (oldVersion < N)`), and callers never await network or
 * crypto inside a transaction (IndexedDB would auto-commit it under them).
 */

export const DB_NAME = 'countersign';
export const DB_VERSION = 4;

interface AccountFields {
  deviceId: string;
  relayOrigin: string;
  relayName: string;
  userId: string;
  upn: string;
  displayName: string;
  deviceName: string;
  /** The approval key's public half (base64url, 65 bytes): what the relay checks approvals against. */
  publicKey: string;
  createdAt: number;
}

/**
 * A working account: two key pairs (docs/protocol.md section 2). The approval key exists here
 * only wrapped: under this account's PIN wrapping key (section 4a: HKDF of the relay's OPRF
 * evaluation of the PIN, so nothing stored tests a PIN guess), or, for an account paired under
 * revision 2 until its first approval upgrades it, under the old PBKDF2 lock. The connect key
 * is a WebCrypto key generated non-extractable, so no script can read its private half.
 */
export interface ActiveAccount extends AccountFields {
  status: 'active';
  /** Revision 3: the approval key's P-256 scalar under the OPRF-derived key (AAD = deviceId). */
  pinWrap?: PinWrappedKey;
  /**
   * Revision 2 only, until the upgrade: the scalar under the PBKDF2 lock (`legacy-pin-lock.ts`).
   * Deleted once `pinWrap` is confirmed.
   */
  wrappedKey?: WrappedSecret;
  /** The connect key's public half (base64url, 65 bytes). */
  connectPublicKey: string;
  /** Non-extractable ECDSA P-256 private key: signs `connect`, and `deny`/`report` with `unlock: "none"`. */
  connectKey: CryptoKey;
  /** Set when the relay refused this credential at `auth`; such accounts stop connecting. */
  authError?: string;
  /** The relay said `pin_locked`: 10 wrong PINs; the PIN no longer approves (WebAuthn still does). */
  pinLocked?: boolean;
  /** A pairing whose new wrap is not confirmed yet (section 4a): never used to approve until it is. */
  unconfirmed?: boolean;
}

/**
 * An account from before revision 2 (one key, also kept unwrapped for connecting). Its keys were
 * dropped by the version 3 migration; the entry stays only so the person sees that it must be
 * added again, and where (the relay's security info page).
 */
export interface RetiredAccount extends AccountFields {
  status: 'needs_re_add';
  retiredAt: number;
}

export type AccountRecord = ActiveAccount | RetiredAccount;

export function isActiveAccount(record: AccountRecord | undefined): record is ActiveAccount {
  return (
    record?.status === 'active' &&
    typeof record.connectPublicKey === 'string' &&
    (typeof record.pinWrap?.ciphertext === 'string' || typeof record.wrappedKey?.ciphertext === 'string') &&
    record.connectKey instanceof CryptoKey
  );
}

/** True while the account still needs the revision-2 upgrade ("Approve once to finish the security upgrade"). */
export function needsPinUpgrade(account: ActiveAccount): boolean {
  return account.pinWrap === undefined;
}

/**
 * Revision 2's PIN lock: PBKDF2 salt and iterations, and a check value under the PIN key. Kept
 * only while some account still has its revision-2 wrap; deleted with the last upgrade (its check
 * value lets anyone with the profile test PINs offline, which revision 3 forbids).
 */
export interface LockRecord {
  key: 'lock';
  salt: string;
  iterations: number;
  check: WrappedSecret;
}
export interface PrefsRecord {
  key: 'prefs';
  autoOpen: boolean;
  rememberPin: boolean;
}
/**
 * Biometric unlock (WebAuthn PRF), when on: the credential made on an extension page, the fixed
 * random PRF salt, and a second copy of each covered account's approval key wrapped under the
 * key derived from the PRF output (lib/webauthn-unlock.ts). The PIN-wrapped copies stay on the
 * accounts; deleting this record turns biometric unlock off.
 */
export interface BiometricRecord {
  key: 'biometric';
  /** base64url credential id, for `allowCredentials`. */
  credentialId: string;
  /** base64url, 32 bytes: the PRF input (`eval.first`). */
  prfSalt: string;
  /** A constant wrapped under the PRF key: tells a wrong credential from the right one. */
  check: WrappedSecret;
  /** deviceId → that account's approval key, wrapped under the PRF key. */
  wrappedKeys: Record<string, WrappedSecret>;
  enabledAt: number;
}
export type SettingsRecord = LockRecord | PrefsRecord | BiometricRecord;

export interface PendingChallenge {
  requestId: string;
  relayOrigin: string;
  challenge: ChallengeMessage;
  receivedAt: number;
  /** The decision this device sent, while it waits for the relay's `result`. */
  sentDecision?: Decision;
  /** Section 5: the sign-in code the person typed here (match mode `code`); an approve carries it as its number. */
  code?: string;
}

export type HistoryOutcome =
  | 'approved'
  | 'denied'
  | 'reported'
  | 'wrong_number'
  | 'expired'
  | 'handled_elsewhere'
  | 'cancelled'
  | 'superseded'
  | 'already_decided'
  | 'rejected'
  | 'revoked';

export interface HistoryEntry {
  requestId: string;
  deviceId: string;
  upn: string;
  appName: string | null;
  decision: Decision | null;
  outcome: HistoryOutcome;
  at: number;
}

/** A relay's `notice` (an authenticator added to or removed from one of this device's accounts). */
export interface NoticeEntry {
  /** deviceId, kind, at and name: a notice the relay sends again is stored (and shown) once. */
  id: string;
  deviceId: string;
  relayOrigin: string;
  upn: string;
  kind: NoticeKind;
  /** The other authenticator's name, as the relay gave it. */
  name: string;
  at: number;
  /**
   * `pin_failure` only: this browser had an unconfirmed PIN attempt for the account just before
   * (most likely its own wrong PIN), so the notice is not presented as someone else's.
   */
  own?: boolean;
}

export interface CountersignDB extends DBSchema {
  accounts: { key: string; value: AccountRecord; indexes: { byRelay: string } };
  settings: { key: SettingsRecord['key']; value: SettingsRecord };
  pending: { key: string; value: PendingChallenge; indexes: { byExpiry: number } };
  history: { key: string; value: HistoryEntry; indexes: { byTime: number } };
  notices: { key: string; value: NoticeEntry; indexes: { byTime: number } };
}

export type Db = IDBPDatabase<CountersignDB>;
type UpgradeTx = IDBPTransaction<CountersignDB, StoreNames<CountersignDB>[], 'versionchange'>;

/**
 * Runs the migration steps from `oldVersion` up to `targetVersion` (tests stop at older ones).
 * `now` stamps accounts retired by the version 3 step.
 */
export function migrate(db: Db, oldVersion: number, targetVersion: number, tx: UpgradeTx, now = Date.now()): void {
  if (oldVersion < 1 && targetVersion >= 1) {
    const accounts = db.createObjectStore('accounts', { keyPath: 'deviceId' });
    accounts.createIndex('byRelay', 'relayOrigin');
    db.createObjectStore('settings', { keyPath: 'key' });
    db.createObjectStore('pending', { keyPath: 'requestId' });
  }
  if (oldVersion < 2 && targetVersion >= 2) {
    // Version 2: the local decision history, and expiry sweeps over pending challenges.
    db.createObjectStore('history', { keyPath: 'requestId' }).createIndex('byTime', 'at');
    tx.objectStore('pending').createIndex('byExpiry', 'challenge.expiresAt');
  }
  if (oldVersion < 3 && targetVersion >= 3) {
    // Version 3 (protocol revision 2): relay notices, and no account keeps a key usable without the PIN.
    db.createObjectStore('notices', { keyPath: 'id' }).createIndex('byTime', 'at');
    if (oldVersion >= 1) {
      // A failed request aborts the upgrade by itself (the database stays at version 2).
      retireRevision1Accounts(tx, now).catch(() => undefined);
    }
  }
  if (oldVersion < 4 && targetVersion >= 4 && oldVersion >= 1) {
    // Version 4 (protocol revision 3): the relay counts wrong PINs, so the local slow-down goes.
    tx.objectStore('settings')
      .delete('pinAttempts' as SettingsRecord['key'])
      .catch(() => undefined);
  }
}

/**
 * Revision 1 kept each account's one key twice: PIN-wrapped, and as a WebCrypto key imported
 * from the same scalar that signs without the PIN. Such an account cannot be trusted any more:
 * both copies go, the entry stays as "needs to be added again", and its pending requests go
 * (nothing can answer them). Runs inside the upgrade transaction, which stays open for it.
 */
async function retireRevision1Accounts(tx: UpgradeTx, now: number): Promise<void> {
  const retired = new Set<string>();
  let cursor = await tx.objectStore('accounts').openCursor();
  while (cursor) {
    const old = cursor.value as Partial<ActiveAccount> & AccountFields;
    if (old.status !== 'active' || typeof old.connectPublicKey !== 'string') {
      // A new object, not a spread: neither key may survive in the record.
      const record: RetiredAccount = {
        status: 'needs_re_add',
        deviceId: old.deviceId,
        relayOrigin: old.relayOrigin,
        relayName: old.relayName,
        userId: old.userId,
        upn: old.upn,
        displayName: old.displayName,
        deviceName: old.deviceName,
        publicKey: old.publicKey,
        createdAt: old.createdAt,
        retiredAt: now,
      };
      await cursor.update(record);
      retired.add(old.deviceId);
    }
    cursor = await cursor.continue();
  }
  let pending = await tx.objectStore('pending').openCursor();
  while (pending) {
    if (retired.has(pending.value.challenge.deviceId)) await pending.delete();
    pending = await pending.continue();
  }
}

export function openCountersignDb(name = DB_NAME, version = DB_VERSION): Promise<Db> {
  return openDB<CountersignDB>(name, version, {
    upgrade: (db, oldVersion, _newVersion, tx) => migrate(db, oldVersion, version, tx),
  });
}

export const DEFAULT_PREFS: PrefsRecord = { key: 'prefs', autoOpen: true, rememberPin: false };

export async function readPrefs(db: Db): Promise<PrefsRecord> {
  const prefs = await db.get('settings', 'prefs');
  return prefs?.key === 'prefs' ? { ...DEFAULT_PREFS, ...prefs } : DEFAULT_PREFS;
}

export async function readLock(db: Db): Promise<LockRecord | undefined> {
  const lock = await db.get('settings', 'lock');
  return lock?.key === 'lock' ? lock : undefined;
}

/** The accounts that can connect and decide (retired ones are left out). */
export async function activeAccounts(db: Db, relayOrigin?: string): Promise<ActiveAccount[]> {
  const all = relayOrigin === undefined ? await db.getAll('accounts') : await db.getAllFromIndex('accounts', 'byRelay', relayOrigin);
  return all.filter(isActiveAccount);
}

/** Keeps the history and the notices small: the newest `keep` of each. */
export async function pruneHistory(db: Db, keep = 200): Promise<void> {
  for (const store of ['history', 'notices'] as const) {
    const tx = db.transaction(store, 'readwrite');
    let cursor = await tx.store.index('byTime').openCursor(null, 'prev');
    let seen = 0;
    while (cursor) {
      if (++seen > keep) await cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.done;
  }
}
