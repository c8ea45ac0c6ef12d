import { REDEEM_PAIRING_PATH } from '../../protocol/index.ts';
import { preparePairing, readPairingLink, readRedeemAnswer, type DeviceCrypto } from '../../protocol/device/index.ts';
import type { ActiveAccount, Db } from './db.ts';
import type { Unlocked } from './decide.ts';
import { approvalKeyLabel, wrapSecret, type WrappedSecret } from './key-wrap.ts';
import type { Failure } from './runtime-messages.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * Adds an account from a pairing link (docs/protocol.md section 3) with two fresh key pairs.
 * Links to an `http` relay off loopback are refused (`insecure_relay`) before anything else.
 * The approval scalar lives only while the `pair` statement is signed and the key is wrapped
 * under the PIN: it is wiped before the relay is even asked, so what is stored, and everything
 * after, holds it wrapped. The connect key is a non-extractable WebCrypto key.
 */

export interface PairAccountInput {
  db: Db;
  link: string;
  /** The PIN key (checked against the lock), asked for only once the link is known to be good. */
  unlock(): Promise<Unlocked>;
  deviceName: string;
  /** POSTs JSON and returns the status and the parsed body (null when not JSON); throws when unreachable. */
  post(url: string, body: unknown): Promise<{ status: number; body: unknown }>;
  now(): number;
  crypto?: DeviceCrypto<CryptoKey>;
}

/**
 * Failure codes: `invalid_link`, `insecure_relay`, the unlock's (`wrong_pin`, `locked`, …),
 * `relay_unreachable`, or the relay's own (`pairing_used`, `pairing_expired`, `bad_signature`,
 * …, `http_{status}`, `bad_response`).
 */
export async function pairAccount(input: PairAccountInput): Promise<{ ok: true; account: ActiveAccount } | Failure> {
  const { deviceName } = input;
  const reading = readPairingLink(input.link);
  if (!reading.ok) return { ok: false, code: reading.code };
  const { offer } = reading;
  const unlocked = await input.unlock();
  if (!unlocked.ok) return unlocked;
  const prepared = await preparePairing({ offer, deviceName, crypto: input.crypto ?? webCryptoDeviceCrypto });
  const approvalPublicKey = prepared.approvalKey.publicKey;
  let wrappedKey: WrappedSecret;
  try {
    wrappedKey = await wrapSecret(unlocked.key, prepared.approvalKey.secretKey, approvalKeyLabel(approvalPublicKey));
  } finally {
    prepared.approvalKey.secretKey.fill(0);
  }

  let answer: { status: number; body: unknown };
  try {
    answer = await input.post(`${offer.relayOrigin}${REDEEM_PAIRING_PATH}`, prepared.body);
  } catch {
    return { ok: false, code: 'relay_unreachable' };
  }
  const redeemed = readRedeemAnswer(answer.status, answer.body);
  if (!redeemed.ok) return { ok: false, code: redeemed.code };

  const { deviceId, account, relay } = redeemed.value;
  const record: ActiveAccount = {
    status: 'active',
    deviceId,
    relayOrigin: offer.relayOrigin,
    relayName: relay.name,
    userId: account.userId,
    upn: account.upn,
    displayName: account.displayName,
    deviceName,
    publicKey: approvalPublicKey,
    wrappedKey,
    connectPublicKey: prepared.connectKey.publicKey,
    connectKey: prepared.connectKey.key,
    createdAt: input.now(),
  };
  await storePairedAccount(input.db, record);
  return { ok: true, account: record };
}

/**
 * Stores a new account; any older entry for the same person on the same relay (one waiting to be
 * added again, one the relay refused, or a working one paired before) is replaced by it, so the
 * list never shows the same account twice. The relay still lists the old authenticator until it
 * is removed on the security info page.
 */
async function storePairedAccount(db: Db, record: ActiveAccount): Promise<void> {
  const tx = db.transaction(['accounts', 'pending'], 'readwrite');
  const replaced = new Set<string>();
  for (const old of await tx.objectStore('accounts').index('byRelay').getAll(record.relayOrigin)) {
    if (old.deviceId !== record.deviceId && (old.userId === record.userId || old.upn === record.upn)) {
      await tx.objectStore('accounts').delete(old.deviceId);
      replaced.add(old.deviceId);
    }
  }
  // The old entry's waiting requests can no longer be answered from here.
  let cursor = await tx.objectStore('pending').openCursor();
  while (cursor) {
    if (replaced.has(cursor.value.challenge.deviceId)) await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.objectStore('accounts').put(record);
  await tx.done;
}
