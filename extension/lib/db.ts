import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { ChallengeMessage, Decision } from '../../protocol/index.ts';
import type { WrappedSecret } from './key-wrap.ts';

/**
 * The extension's one IndexedDB database. Every read of a record that matters goes through the
 * typed schema; migrations are additive steps (`if (oldVersion < N)`), and callers never await
 * network or crypto inside a transaction (IndexedDB would auto-commit it under them).
 */

export const DB_NAME = 'countersign';
export const DB_VERSION = 2;

export interface AccountRecord {
  deviceId: string;
  relayOrigin: string;
  relayName: string;
  userId: string;
  upn: string;
  displayName: string;
  deviceName: string;
  publicKey: string;
  /** The P-256 private scalar, AES-GCM wrapped under the PIN-derived key. Signs decisions. */
  wrappedKey: WrappedSecret;
  /** The same key as a non-extractable WebCrypto key, used only to sign `connect` statements. */
  connectKey: CryptoKey;
  createdAt: number;
  /** Set when the relay refused this credential at `auth` (4401); such accounts stop connecting. */
  authError?: string;
}

export interface LockRecord {
  key: 'lock';
  salt: string;
  iterations: number;
  /** A constant wrapped under the PIN key: tells a wrong PIN from a right one without any account. */
  check: WrappedSecret;
}
export interface PinAttemptsRecord {
  key: 'pinAttempts';
  failures: number;
  /** Unix ms before which no PIN is tried at all. */
  lockedUntil: number;
}
export interface PrefsRecord {
  key: 'prefs';
  autoOpen: boolean;
  rememberPin: boolean;
}
export type SettingsRecord = LockRecord | PinAttemptsRecord | PrefsRecord;

export interface PendingChallenge {
  requestId: string;
  relayOrigin: string;
  challenge: ChallengeMessage;
  receivedAt: number;
  /** The decision this device sent, while it waits for the relay's `result`. */
  sentDecision?: Decision;
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

export interface CountersignDB extends DBSchema {
  accounts: { key: string; value: AccountRecord; indexes: { byRelay: string } };
  settings: { key: SettingsRecord['key']; value: SettingsRecord };
  pending: { key: string; value: PendingChallenge; indexes: { byExpiry: number } };
  history: { key: string; value: HistoryEntry; indexes: { byTime: number } };
}

export type Db = IDBPDatabase<CountersignDB>;

/** Runs the migration steps from `oldVersion` up to `targetVersion` (tests stop at older ones). */
export function migrate(
  db: IDBPDatabase<CountersignDB>,
  oldVersion: number,
  targetVersion: number,
  tx: IDBPTransaction<CountersignDB, StoreNames<CountersignDB>[], 'versionchange'>,
): void {
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

/** Keeps the history small: the newest `keep` entries. */
export async function pruneHistory(db: Db, keep = 200): Promise<void> {
  const tx = db.transaction('history', 'readwrite');
  let cursor = await tx.store.index('byTime').openCursor(null, 'prev');
  let seen = 0;
  while (cursor) {
    if (++seen > keep) await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}
