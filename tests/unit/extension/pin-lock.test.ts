import { describe, expect, it } from 'vitest';
import { FAST_ITERATIONS, freshDb, makeAccount } from './helpers.ts';
import { isActiveAccount, readLock } from '../../../extension/lib/db.ts';
import { deriveWrappingKey } from '../../../extension/lib/key-wrap.ts';
import { changePin, checkPin, pinDelayMs, setupPin, unwrapApprovalKey } from '../../../extension/lib/pin-lock.ts';

describe('pinDelayMs()', () => {
  it('lets four wrong PINs through without a delay', () => {
    expect([0, 1, 2, 3, 4].map(pinDelayMs)).toEqual([0, 0, 0, 0, 0]);
  });

  it('waits after the fifth wrong PIN and doubles with each further one', () => {
    expect(pinDelayMs(5)).toBe(30_000);
    expect(pinDelayMs(6)).toBe(60_000);
    expect(pinDelayMs(7)).toBe(120_000);
    expect(pinDelayMs(8)).toBe(240_000);
  });

  it('caps the delay at eight hours', () => {
    expect(pinDelayMs(40)).toBe(8 * 60 * 60_000);
  });
});

describe('checkPin()', () => {
  it('accepts the right PIN and refuses a wrong one', async () => {
    const db = await freshDb();
    expect(await setupPin(db, '123456', FAST_ITERATIONS)).toBe('ok');
    expect((await checkPin(db, '123456', 1_000)).ok).toBe(true);
    expect(await checkPin(db, '000000', 1_000)).toMatchObject({ ok: false, code: 'wrong_pin', failures: 1 });
  });

  it('refuses every PIN, even the right one, during the delay, and remembers it across reopening', async () => {
    const db = await freshDb();
    await setupPin(db, '123456', FAST_ITERATIONS);
    let now = 1_000_000;
    for (let i = 0; i < 4; i++) expect(await checkPin(db, '999999', now)).toMatchObject({ code: 'wrong_pin', retryAt: now });
    expect(await checkPin(db, '999999', now)).toMatchObject({ code: 'wrong_pin', retryAt: now + 30_000, failures: 5 });
    expect(await checkPin(db, '123456', now + 29_999)).toMatchObject({ ok: false, code: 'locked', retryAt: now + 30_000 });
    now += 30_000;
    expect(await checkPin(db, '999999', now)).toMatchObject({ code: 'wrong_pin', retryAt: now + 60_000, failures: 6 });
    now += 60_000;
    expect((await checkPin(db, '123456', now)).ok).toBe(true);
    expect(await checkPin(db, '999999', now)).toMatchObject({ failures: 1, retryAt: now });
  });

  it('counts malformed PINs as wrong ones', async () => {
    const db = await freshDb();
    await setupPin(db, '123456', FAST_ITERATIONS);
    expect(await checkPin(db, 'abc', 0)).toMatchObject({ code: 'wrong_pin', failures: 1 });
  });

  it('says so when no PIN was set yet', async () => {
    expect(await checkPin(await freshDb(), '123456', 0)).toEqual({ ok: false, code: 'no_lock' });
  });
});

describe('setupPin()', () => {
  it('refuses a short PIN and a second setup', async () => {
    const db = await freshDb();
    expect(await setupPin(db, '12345', FAST_ITERATIONS)).toBe('invalid_pin');
    expect(await setupPin(db, '123456', FAST_ITERATIONS)).toBe('ok');
    expect(await setupPin(db, '654321', FAST_ITERATIONS)).toBe('already_set');
  });
});

describe('changePin()', () => {
  it('re-wraps every account key under the new PIN', async () => {
    const db = await freshDb();
    await setupPin(db, '123456', FAST_ITERATIONS);
    const oldLock = (await readLock(db))!;
    const oldKey = await deriveWrappingKey('123456', oldLock.salt, FAST_ITERATIONS);
    const first = await makeAccount(oldKey);
    const second = await makeAccount(oldKey, { upn: 'bob@demo.test' });
    await db.put('accounts', first.account);
    await db.put('accounts', second.account);

    expect(await changePin(db, '123456', '24681357', 0, FAST_ITERATIONS)).toEqual({ ok: true });

    const newLock = (await readLock(db))!;
    expect(newLock.salt).not.toEqual(oldLock.salt);
    expect((await checkPin(db, '123456', 0)).ok).toBe(false);
    const check = await checkPin(db, '24681357', 0);
    if (!check.ok) throw new Error('new PIN refused');
    for (const { account, secretKey } of [first, second]) {
      const stored = await db.get('accounts', account.deviceId);
      if (!isActiveAccount(stored)) throw new Error('account lost its keys');
      expect(stored.wrappedKey).not.toEqual(account.wrappedKey);
      expect(await unwrapApprovalKey(check.key, stored)).toEqual(secretKey);
      await expect(unwrapApprovalKey(oldKey, stored)).rejects.toThrow();
    }
  });

  it('changes nothing when the old PIN is wrong', async () => {
    const db = await freshDb();
    await setupPin(db, '123456', FAST_ITERATIONS);
    const before = await readLock(db);
    expect(await changePin(db, '111111', '24681357', 0, FAST_ITERATIONS)).toMatchObject({ ok: false, code: 'wrong_pin' });
    expect(await readLock(db)).toEqual(before);
  });

  it('refuses a short new PIN', async () => {
    const db = await freshDb();
    await setupPin(db, '123456', FAST_ITERATIONS);
    expect(await changePin(db, '123456', '1234', 0, FAST_ITERATIONS)).toEqual({ ok: false, code: 'invalid_pin' });
  });
});
