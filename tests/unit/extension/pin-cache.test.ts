import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  REMEMBER_PIN_MS,
  forgetUnlock,
  isUnlockRemembered,
  recallUnlock,
  rememberUnlock,
} from '../../../extension/entrypoints/background/pin-cache.ts';
import { readHandover } from '../../../extension/lib/remember-channel.ts';
import { testWrappingKey } from './helpers.ts';

const ALICE = 'AAAAAAAAAAAAAAAAAAAAAA';
const BOB = 'BBBBBBBBBBBBBBBBBBBBBB';

describe('the remembered PIN wrapping keys', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await testWrappingKey();
    vi.useFakeTimers();
  });
  afterEach(() => {
    forgetUnlock();
    vi.useRealTimers();
  });

  it("gives an account's wrapping key back within 5 minutes, for that account only", () => {
    rememberUnlock(ALICE, key, 1_000);
    expect(recallUnlock(ALICE, 1_000 + REMEMBER_PIN_MS - 1)).toBe(key);
    expect(recallUnlock(BOB, 1_000)).toBeNull();
    expect(isUnlockRemembered(1_000)).toBe(true);
    expect(isUnlockRemembered(1_000, BOB)).toBe(false);
    expect(recallUnlock(ALICE, 1_000 + REMEMBER_PIN_MS)).toBeNull();
  });

  it('forgets it when the 5 minutes are over, even if nobody asks', () => {
    rememberUnlock(ALICE, key, Date.now());
    vi.advanceTimersByTime(REMEMBER_PIN_MS);
    expect(isUnlockRemembered(0)).toBe(false);
    expect(recallUnlock(ALICE, 0)).toBeNull();
  });

  it('forgets one account or all of them on request', () => {
    rememberUnlock(ALICE, key, 0);
    rememberUnlock(BOB, key, 0);
    forgetUnlock(ALICE);
    expect(recallUnlock(ALICE, 1)).toBeNull();
    expect(recallUnlock(BOB, 1)).toBe(key);
    forgetUnlock();
    expect(isUnlockRemembered(1)).toBe(false);
  });

  it('keeps it in the worker’s memory only, never in a storage API, and never a PIN', () => {
    const source = readFileSync(new URL('../../../extension/entrypoints/background/pin-cache.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\b(browser|chrome)\.storage|indexedDB|localStorage|sessionStorage|from '\.\.\/\.\.\/lib\/db/);
    expect(source).not.toMatch(/pin: string/);
  });

  it('accepts over the channel only a non-extractable AES-GCM key for one account id', async () => {
    expect(readHandover({ deviceId: ALICE, key })).toEqual({ deviceId: ALICE, key });
    const extractable = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    expect(readHandover({ deviceId: ALICE, key: extractable })).toBeNull();
    expect(readHandover({ deviceId: 'not an id', key })).toBeNull();
    expect(readHandover({ deviceId: ALICE, key: 'bytes' })).toBeNull();
    expect(readHandover(null)).toBeNull();
  });
});
