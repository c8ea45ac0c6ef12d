import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FAMILIAR_LIFETIME_MS, FamiliarBrowsers } from '../../../relay-server/security/familiar-browser.ts';

describe('FamiliarBrowsers', () => {
  const key = randomBytes(32);
  let now = 1_000;
  const familiar = new FamiliarBrowsers(
    async () => key,
    () => now,
  );

  it('verifies its own cookie for the user it names, until it expires', async () => {
    const cookie = await familiar.issue('user-1');
    expect(await familiar.verify(cookie, 'user-1')).toBe(true);
    expect(await familiar.verify(cookie, 'user-2')).toBe(false);
    now += FAMILIAR_LIFETIME_MS;
    expect(await familiar.verify(cookie, 'user-1')).toBe(false);
    now = 1_000;
  });

  it('refuses a cookie with another user, a later expiry, a bad MAC, or another key', async () => {
    const cookie = await familiar.issue('user-1');
    const [, expiry, mac] = cookie.split('.');
    expect(await familiar.verify(`${Buffer.from('user-2').toString('base64url')}.${expiry}.${mac}`, 'user-2')).toBe(false);
    expect(await familiar.verify(`${cookie.split('.')[0]}.${Number(expiry) + 1}.${mac}`, 'user-1')).toBe(false);
    const flipped = cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A');
    expect(await familiar.verify(flipped, 'user-1')).toBe(false);
    expect(await familiar.verify(undefined, 'user-1')).toBe(false);
    expect(await familiar.verify('x'.repeat(10_000), 'user-1')).toBe(false);
    const other = new FamiliarBrowsers(
      async () => randomBytes(32),
      () => now,
    );
    expect(await other.verify(cookie, 'user-1')).toBe(false);
  });
});
