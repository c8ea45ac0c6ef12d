import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  REMEMBER_PIN_MS,
  forgetUnlock,
  isUnlockRemembered,
  recallUnlock,
  rememberUnlock,
} from '../../../extension/entrypoints/background/pin-cache.ts';
import { deriveWrappingKey } from '../../../extension/lib/key-wrap.ts';
import { FAST_ITERATIONS } from './helpers.ts';

describe('the remembered PIN', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await deriveWrappingKey('123456', 'c2FsdHNhbHRzYWx0c2FsdA', FAST_ITERATIONS);
    vi.useFakeTimers();
  });
  afterEach(() => {
    forgetUnlock();
    vi.useRealTimers();
  });

  it('gives the PIN key back within 5 minutes, for the same lock only', () => {
    rememberUnlock(key, 'salt-1', 1_000);
    expect(recallUnlock(1_000 + REMEMBER_PIN_MS - 1, 'salt-1')).toBe(key);
    expect(isUnlockRemembered(1_000)).toBe(true);
    // A PIN change renews the salt: the remembered key is forgotten, not tried.
    expect(recallUnlock(2_000, 'salt-2')).toBeNull();
    expect(isUnlockRemembered(2_000)).toBe(false);
  });

  it('forgets it when the 5 minutes are over, even if nobody asks', () => {
    rememberUnlock(key, 'salt-1', Date.now());
    vi.advanceTimersByTime(REMEMBER_PIN_MS);
    expect(isUnlockRemembered(0)).toBe(false);
    expect(recallUnlock(0, 'salt-1')).toBeNull();
  });

  it('keeps it in the worker’s memory only, never in a storage API', () => {
    const source = readFileSync(new URL('../../../extension/entrypoints/background/pin-cache.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\b(browser|chrome)\.storage|indexedDB|localStorage|sessionStorage|from '\.\.\/\.\.\/lib\/db/);
  });
});
