/**
 * "Remember my PIN for 5 minutes", in this service worker's memory only: a module variable,
 * never any storage API (not even storage.session). What is kept is not the PIN but each
 * account's PIN wrapping key (section 4a: a non-extractable AES key from the relay's evaluation),
 * handed over by the page that unlocked it. It is gone when the 5 minutes end, when the person
 * says so, when the PIN changes, or when the worker stops; the next approval then asks again.
 */

export const REMEMBER_PIN_MS = 5 * 60_000;

interface Remembered {
  key: CryptoKey;
  until: number;
  timer: ReturnType<typeof setTimeout>;
}

const remembered = new Map<string, Remembered>();

/** Keeps `deviceId`'s wrapping key until `now + REMEMBER_PIN_MS`, never longer. */
export function rememberUnlock(deviceId: string, key: CryptoKey, now: number): void {
  forgetUnlock(deviceId);
  const timer = setTimeout(() => forgetUnlock(deviceId), REMEMBER_PIN_MS);
  remembered.set(deviceId, { key, until: now + REMEMBER_PIN_MS, timer });
}

/** The remembered wrapping key of `deviceId` while its window lasts. */
export function recallUnlock(deviceId: string, now: number): CryptoKey | null {
  const entry = remembered.get(deviceId);
  if (!entry) return null;
  if (entry.until <= now) {
    forgetUnlock(deviceId);
    return null;
  }
  return entry.key;
}

/** Whether `deviceId` (or, without one, any account) has a remembered key now. */
export function isUnlockRemembered(now: number, deviceId?: string): boolean {
  if (deviceId !== undefined) return recallUnlock(deviceId, now) !== null;
  return [...remembered.keys()].some((id) => recallUnlock(id, now) !== null);
}

/** Forgets one account's key, or all of them. */
export function forgetUnlock(deviceId?: string): void {
  for (const [id, entry] of remembered) {
    if (deviceId !== undefined && id !== deviceId) continue;
    clearTimeout(entry.timer);
    remembered.delete(id);
  }
}
