import type { PinWrappedKey } from '../../protocol/pin-wrap.ts';
import { isActiveAccount, type ActiveAccount, type Db } from './db.ts';

/**
 * The worker's writes for section 4a's new wraps: a new copy is stored first (`storePinWrap`), and
 * only once it is confirmed (`confirmPinWrap`: an unlock opened it and its proof went out) does
 * anything older go: the revision-2 copy, the old lock once no account needs it, and, for a new
 * pairing, an older entry for the same person on the same relay.
 */

export async function storePinWrap(db: Db, deviceId: string, pinWrap: PinWrappedKey): Promise<boolean> {
  const tx = db.transaction('accounts', 'readwrite');
  const account = await tx.store.get(deviceId);
  if (!isActiveAccount(account)) {
    await tx.done;
    return false;
  }
  await tx.store.put({ ...account, pinWrap });
  await tx.done;
  return true;
}

/**
 * Returns the entries it replaced (their relay's socket must stop offering them) and the pending
 * requests dropped with them (nothing can answer them any more).
 */
export async function confirmPinWrap(db: Db, deviceId: string): Promise<{ ok: boolean; replaced: string[]; dropped: string[] }> {
  const tx = db.transaction(['accounts', 'pending', 'settings'], 'readwrite');
  const accounts = tx.objectStore('accounts');
  const account = await accounts.get(deviceId);
  if (!isActiveAccount(account) || !account.pinWrap) {
    await tx.done;
    return { ok: false, replaced: [], dropped: [] };
  }
  const { wrappedKey: _legacy, unconfirmed, ...kept } = account;
  const confirmed: ActiveAccount = kept;
  await accounts.put(confirmed);
  const replaced = new Set<string>();
  if (unconfirmed) {
    // A new pairing replaces any older entry for the same person on the same relay (one waiting
    // to be added again, one the relay refused, a locked one, or a working one paired before).
    for (const old of await accounts.index('byRelay').getAll(account.relayOrigin)) {
      if (old.deviceId !== deviceId && (old.userId === account.userId || old.upn === account.upn)) {
        await accounts.delete(old.deviceId);
        replaced.add(old.deviceId);
      }
    }
  }
  const dropped: string[] = [];
  let cursor = await tx.objectStore('pending').openCursor();
  while (cursor) {
    if (replaced.has(cursor.value.challenge.deviceId)) {
      dropped.push(cursor.value.requestId);
      await cursor.delete();
    }
    cursor = await cursor.continue();
  }
  // Revision 2's lock (and its check value) goes with the last account that needed it.
  const all = await accounts.getAll();
  if (!all.some((record) => isActiveAccount(record) && record.wrappedKey !== undefined)) await tx.objectStore('settings').delete('lock');
  await tx.done;
  return { ok: true, replaced: [...replaced], dropped };
}

/** A pairing whose wrap could not be confirmed: the new entry goes (older ones were never touched). */
export async function dropUnconfirmed(db: Db, deviceId: string): Promise<boolean> {
  const tx = db.transaction('accounts', 'readwrite');
  const account = await tx.store.get(deviceId);
  const drop = isActiveAccount(account) && account.unconfirmed === true;
  if (drop) await tx.store.delete(deviceId);
  await tx.done;
  return drop;
}

export async function markPinLocked(db: Db, deviceId: string): Promise<boolean> {
  const tx = db.transaction('accounts', 'readwrite');
  const account = await tx.store.get(deviceId);
  const mark = isActiveAccount(account) && !account.pinLocked;
  if (mark) await tx.store.put({ ...account, pinLocked: true });
  await tx.done;
  return mark;
}
