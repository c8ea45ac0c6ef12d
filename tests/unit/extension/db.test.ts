import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, generateDeviceKeyPair, randomId, toBase64Url, type ChallengeMessage } from '../../../protocol/index.ts';
import {
  DB_VERSION,
  activeAccounts,
  migrate,
  openCountersignDb,
  pruneHistory,
  readPrefs,
  type CountersignDB,
} from '../../../extension/lib/db.ts';
import { wrapSecret } from '../../../extension/lib/key-wrap.ts';
import { legacyPinKey } from '../../../extension/lib/legacy-pin-lock.ts';
import { FAST_ITERATIONS, freshDb } from './helpers.ts';

function challengeFor(deviceId: string, requestId = randomId()): ChallengeMessage {
  return {
    type: 'challenge',
    requestId,
    deviceId,
    account: { upn: 'alice@demo.test', displayName: 'Alice' },
    app: null,
    context: { ip: '127.0.0.1', location: null, browser: 'Chrome', os: 'Linux' },
    match: { mode: 'type', digits: 2 },
    createdAt: 1,
    expiresAt: 5,
  };
}

/**
 * An account as revision 1 stored it: the one key PIN-wrapped, and the same scalar imported into
 * WebCrypto as `connectKey` (usable without the PIN). No connect public key, no status.
 */
async function revision1Account(relayOrigin = 'http://127.0.0.1:8787') {
  const { secretKey, publicKey } = generateDeviceKeyPair();
  const pinKey = await legacyPinKey('123456', { salt: 'c2FsdHNhbHRzYWx0c2FsdA', iterations: FAST_ITERATIONS });
  const point = fromBase64Url(publicKey);
  const connectKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', d: toBase64Url(secretKey), x: toBase64Url(point.slice(1, 33)), y: toBase64Url(point.slice(33)), ext: false },
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  return {
    deviceId: randomId(),
    relayOrigin,
    relayName: 'Old relay',
    userId: randomId(),
    upn: 'alice@demo.test',
    displayName: 'Alice Example',
    deviceName: 'Chromium on Linux',
    publicKey,
    wrappedKey: await wrapSecret(pinKey, secretKey, `countersign/v1/account-key\n${publicKey}`),
    connectKey,
    createdAt: 1_600_000_000_000,
  };
}

/** Every CryptoKey and every field named like key material anywhere inside a stored value. */
function keyMaterialIn(value: unknown, path = ''): string[] {
  if (value instanceof CryptoKey) return [path || '(root)'];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, inner]) =>
    /^(wrappedKey|connectKey|secretKey|privateKey|d)$/.test(name) ? [`${path}.${name}`] : keyMaterialIn(inner, `${path}.${name}`),
  );
}

describe('database migrations', () => {
  it('creates every store and index from scratch', async () => {
    const db = await freshDb();
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['accounts', 'history', 'notices', 'pending', 'settings']);
    const tx = db.transaction(['accounts', 'pending', 'history', 'notices']);
    expect([...tx.objectStore('accounts').indexNames]).toEqual(['byRelay']);
    expect([...tx.objectStore('pending').indexNames]).toEqual(['byExpiry']);
    expect([...tx.objectStore('history').indexNames]).toEqual(['byTime']);
    expect([...tx.objectStore('notices').indexNames]).toEqual(['byTime']);
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
      challenge: challengeFor('d'.repeat(22), 'r'.repeat(22)),
    });
    v1.close();

    const v2 = await openCountersignDb(name, 2);
    expect(v2.version).toBe(2);
    expect(await readPrefs(v2)).toMatchObject({ autoOpen: false, rememberPin: true });
    // The new index covers records written before it existed.
    expect(await v2.getAllKeysFromIndex('pending', 'byExpiry', IDBKeyRange.upperBound(10))).toEqual(['r'.repeat(22)]);
    await v2.put('history', { requestId: 'x'.repeat(22), deviceId: '', upn: '', appName: null, decision: null, outcome: 'expired', at: 1 });
    expect(await v2.count('history')).toBe(1);
  });

  it('upgrades a version 2 database: a revision 1 account loses both copies of its key and waits to be added again', async () => {
    const name = `rev1-${randomId()}`;
    const v2 = await openDB<CountersignDB>(name, 2, { upgrade: (db, oldVersion, _n, tx) => migrate(db, oldVersion, 2, tx) });
    const old = await revision1Account();
    const other = await revision1Account('https://id.example.com');
    // @ts-expect-error: a revision 1 record, which the version 3 schema no longer describes
    await v2.put('accounts', old);
    // @ts-expect-error: as above
    await v2.put('accounts', other);
    await v2.put('settings', { key: 'prefs', autoOpen: false, rememberPin: true });
    const stale = challengeFor(old.deviceId);
    await v2.put('pending', {
      requestId: stale.requestId,
      relayOrigin: old.relayOrigin,
      receivedAt: 1,
      challenge: { ...stale, expiresAt: Date.now() + 60_000 },
    });
    expect(keyMaterialIn(await v2.get('accounts', old.deviceId))).toEqual(['.wrappedKey', '.connectKey']);
    v2.close();

    const v3 = await openCountersignDb(name, 3);
    expect(v3.version).toBe(3);
    const migrated = await v3.get('accounts', old.deviceId);
    expect(migrated).toEqual({
      status: 'needs_re_add',
      deviceId: old.deviceId,
      relayOrigin: old.relayOrigin,
      relayName: 'Old relay',
      userId: old.userId,
      upn: 'alice@demo.test',
      displayName: 'Alice Example',
      deviceName: 'Chromium on Linux',
      publicKey: old.publicKey,
      createdAt: old.createdAt,
      retiredAt: expect.any(Number),
    });
    for (const account of await v3.getAll('accounts')) expect(keyMaterialIn(account)).toEqual([]);
    expect((await v3.get('accounts', other.deviceId))?.status).toBe('needs_re_add');
    // They stop connecting and deciding: nothing offers them, and their requests are gone.
    expect(await activeAccounts(v3)).toEqual([]);
    expect(await v3.count('pending')).toBe(0);
    expect(await readPrefs(v3)).toMatchObject({ autoOpen: false, rememberPin: true });
  });

  it('upgrades a version 3 database: the local PIN slow-down goes (the relay counts wrong PINs now)', async () => {
    const name = `test-${randomId()}`;
    const v3 = await openCountersignDb(name, 3);
    await v3.put('settings', { key: 'pinAttempts', failures: 4, lockedUntil: 0 } as never);
    await v3.put('settings', { key: 'prefs', autoOpen: false, rememberPin: true });
    v3.close();
    const v4 = await openCountersignDb(name, 4);
    expect(v4.version).toBe(4);
    expect((await v4.getAll('settings')).map((record) => record.key)).toEqual(['prefs']);
    v4.close();
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
      await db.put('history', {
        requestId: `${i}`.padStart(22, 'h'),
        deviceId: '',
        upn: '',
        appName: null,
        decision: null,
        outcome: 'denied',
        at: i,
      });
    }
    await pruneHistory(db, 2);
    expect((await db.getAll('history')).map((entry) => entry.at).sort()).toEqual([3, 4]);
  });
});
