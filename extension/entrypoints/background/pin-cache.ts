import { browser } from 'wxt/browser';

/**
 * "Remember my PIN for 5 minutes": kept in `storage.session` only (memory, cleared when the
 * browser closes, invisible to content scripts), so it survives the worker stopping but never
 * reaches the disk.
 */

export const REMEMBER_PIN_MS = 5 * 60_000;
const KEY = 'rememberedPin';

interface Remembered {
  pin: string;
  until: number;
}

export async function rememberPin(pin: string, now: number): Promise<void> {
  const value: Remembered = { pin, until: now + REMEMBER_PIN_MS };
  await browser.storage.session.set({ [KEY]: value });
}

export async function recallPin(now: number): Promise<string | null> {
  const value = (await browser.storage.session.get(KEY))[KEY] as Partial<Remembered> | undefined;
  if (!value || typeof value.pin !== 'string' || typeof value.until !== 'number') return null;
  if (value.until <= now || value.until > now + REMEMBER_PIN_MS) {
    await forgetPin();
    return null;
  }
  return value.pin;
}

export async function forgetPin(): Promise<void> {
  await browser.storage.session.remove(KEY);
}
