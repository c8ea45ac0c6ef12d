import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAMILIAR_CLIENT_PREFIX, FAMILIAR_LIFETIME_MS, FamiliarBrowsers } from '../../../relay-server/store/familiar-browsers-store.ts';
import { migrateToLatest } from '../../../relay-server/store/migrations.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import { storeOver, type Store } from '../../../relay-server/store/store.ts';

describe('FamiliarBrowsers', () => {
  const key = randomBytes(32);
  let now = 1_000;
  let store: Store;
  let familiar: FamiliarBrowsers;
  let user1: string;
  let user2: string;

  beforeAll(async () => {
    const db = openSqlite(':memory:');
    await migrateToLatest(db);
    store = storeOver(db);
    user1 = (await store.users.create({ upn: 'one@example.test', displayName: 'One', passwordHash: null }, 0))!.id;
    user2 = (await store.users.create({ upn: 'two@example.test', displayName: 'Two', passwordHash: null }, 0))!.id;
    familiar = new FamiliarBrowsers({ db, loadKey: async () => key, now: () => now });
  });

  it('verifies its own cookie for the user it names, as a client of its own, until it expires', async () => {
    const cookie = await familiar.issue(user1);
    expect(await familiar.verify(cookie, user1)).toBe(true);
    expect(await familiar.verify(cookie, user2)).toBe(false);
    const resolved = await familiar.resolve(cookie, '192.0.2.1', user1);
    expect(resolved?.clientKey).toBe(`${FAMILIAR_CLIENT_PREFIX}${resolved?.id}`);
    now += FAMILIAR_LIFETIME_MS;
    expect(await familiar.verify(cookie, user1)).toBe(false);
    now = 1_000;
  });

  it('refuses a cookie with another user, a later expiry, a bad MAC, or another key', async () => {
    const cookie = await familiar.issue(user1);
    const [id, , expiry, mac] = cookie.split('.');
    expect(await familiar.verify(`${id}.${Buffer.from(user2).toString('base64url')}.${expiry}.${mac}`, user2)).toBe(false);
    expect(await familiar.verify(`${cookie.split('.').slice(0, 2).join('.')}.${Number(expiry) + 1}.${mac}`, user1)).toBe(false);
    const flipped = cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A');
    expect(await familiar.verify(flipped, user1)).toBe(false);
    expect(await familiar.verify(undefined, user1)).toBe(false);
    expect(await familiar.verify('x'.repeat(10_000), user1)).toBe(false);
    const other = new FamiliarBrowsers({ db: store.db, loadKey: async () => randomBytes(32), now: () => now });
    expect(await other.verify(cookie, user1)).toBe(false);
  });

  it('refuses a revoked cookie, one by one or all of a user’s', async () => {
    const first = await familiar.issue(user1);
    const second = await familiar.issue(user1);
    await familiar.revoke((await familiar.resolve(first, '', user1))!.id);
    expect(await familiar.verify(first, user1)).toBe(false);
    expect(await familiar.verify(second, user1)).toBe(true);
    await familiar.revokeAllOf(user1);
    expect(await familiar.verify(second, user1)).toBe(false);
  });

  it('counts a cookie seen from a fourth address within an hour as unfamiliar for the next hour', async () => {
    const cookie = await familiar.issue(user2);
    for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1']) {
      expect(await familiar.resolve(cookie, address, user2)).toBeDefined();
    }
    expect(await familiar.resolve(cookie, '192.0.2.4', user2)).toBeUndefined();
    expect(await familiar.resolve(cookie, '192.0.2.1', user2)).toBeUndefined();
    now += 3_600_000;
    expect(await familiar.resolve(cookie, '192.0.2.1', user2)).toBeDefined();
    now = 1_000;
  });
});
