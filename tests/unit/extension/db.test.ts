import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { randomId } from '../../../protocol/index.ts';
import { DB_VERSION, migrate, openCountersignDb, pruneHistory, readPrefs, type CountersignDB } from '../../../extension/lib/db.ts';
import { freshDb } from './helpers.ts';

describe('database migrations', () => {
  it('creates every store and index from scratch', async () => {
    const db = await freshDb();
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['accounts', 'history', 'pending', 'settings']);
    const tx = db.transaction(['accounts', 'pending', 'history']);
    expect([...tx.objectStore('accounts').indexNames]).toEqual(['byRelay']);
    expect([...tx.objectStore('pending').indexNames]).toEqual(['byExpiry']);
    expect([...tx.objectStore('history').indexNames]).toEqual(['byTime']);
  });

  it('upgrades a version 1 database and keeps its records', async () => {
    const name = `migrate-${randomId()}`;
    const v1 = await openDB<CountersignDB>(name, 1, { upgrade: (db, oldVersion, _n, tx) => migrate(db, oldVersion, 1, tx) });
    expect([...v1.objectStoreNames].sort()).toEqual(['accounts', 'pending', 'settings']);
    await v1.put('settings', { key: 'prefs', autoOpen: false, rememberPin: true });
    await v1.put('pending', {
      requestId: 'r'.repeat(22),
      relayOrigin: 'http://127.0.0.1:8787',
      receivedAt: 1,
      challenge: {
        type: 'challenge',
        requestId: 'r'.repeat(22),
        deviceId: 'd'.repeat(22),
        account: { upn: 'alice@demo.test', displayName: 'Alice' },
        app: null,
        context: { ip: '127.0.0.1', location: null, browser: 'Chrome', os: 'Linux' },
        match: { mode: 'type', digits: 2 },
        createdAt: 1,
        expiresAt: 5,
      },
    });
    v1.close();

    const v2 = await openCountersignDb(name);
    expect(v2.version).toBe(2);
    expect(await readPrefs(v2)).toMatchObject({ autoOpen: false, rememberPin: true });
    // The new index covers records written before it existed.
    expect(await v2.getAllKeysFromIndex('pending', 'byExpiry', IDBKeyRange.upperBound(10))).toEqual(['r'.repeat(22)]);
    await v2.put('history', { requestId: 'x'.repeat(22), deviceId: '', upn: '', appName: null, decision: null, outcome: 'expired', at: 1 });
    expect(await v2.count('history')).toBe(1);
  });

  it('opening twice at the current version changes nothing', async () => {
    const name = `again-${randomId()}`;
    const first = await openCountersignDb(name);
    await first.put('settings', { key: 'prefs', autoOpen: false, rememberPin: false });
    first.close();
    const second = await openCountersignDb(name);
    expect((await readPrefs(second)).autoOpen).toBe(false);
  });
});

describe('readPrefs()', () => {
  it('opens the approval window automatically by default', async () => {
    expect(await readPrefs(await freshDb())).toMatchObject({ autoOpen: true, rememberPin: false });
  });
});

describe('pruneHistory()', () => {
  it('keeps only the newest entries', async () => {
    const db = await freshDb();
    for (let i = 0; i < 5; i++) {
      await db.put('history', { requestId: `${i}`.padStart(22, 'h'), deviceId: '', upn: '', appName: null, decision: null, outcome: 'denied', at: i });
    }
    await pruneHistory(db, 2);
    expect((await db.getAll('history')).map((entry) => entry.at).sort()).toEqual([3, 4]);
  });
});
