/**
 * "Remember my PIN for 5 minutes", in this service worker's memory only: a module variable,
 * never any storage API (not even storage.session). What is kept is not the PIN but the key
 * derived from it (a non-extractable AES key), with the lock's salt so a PIN change voids it.
 * It is gone when the 5 minutes end, when the person says so, or when the worker stops; the
 * next approval then asks for the PIN again.
 */

export const REMEMBER_PIN_MS = 5 * 60_000;

interface Remembered {
  key: CryptoKey;
  salt: string;
  until: number;
  timer: ReturnType<typeof setTimeout>;
}

let remembered: Remembered | null = null;

export function rememberUnlock(key: CryptoKey, salt: string, now: number): void {
  forgetUnlock();
  const timer = setTimeout(forgetUnlock, REMEMBER_PIN_MS);
  remembered = { key, salt, until: now + REMEMBER_PIN_MS, timer };
}

/** The remembered PIN key while its window lasts and the lock (salt) is unchanged. */
export function recallUnlock(now: number, salt: string | undefined): CryptoKey | null {
  if (!remembered) return null;
  if (remembered.until <= now || remembered.salt !== salt) {
    forgetUnlock();
    return null;
  }
  return remembered.key;
}

export function isUnlockRemembered(now: number): boolean {
  return remembered !== null && remembered.until > now;
}

export function forgetUnlock(): void {
  if (remembered) clearTimeout(remembered.timer);
  remembered = null;
}
