import 'fake-indexeddb/auto';
import { generateDeviceKeyPair, randomId } from '../../../protocol/index.ts';
import type { AccountRecord, Db } from '../../../extension/lib/db.ts';
import { openCountersignDb } from '../../../extension/lib/db.ts';
import { accountKeyLabel, importConnectKey, wrapSecret } from '../../../extension/lib/key-wrap.ts';

/** Test iterations: production uses PBKDF2_ITERATIONS; key-wrap.test.ts pins that constant. */
export const FAST_ITERATIONS = 1_000;

export async function freshDb(): Promise<Db> {
  return openCountersignDb(`test-${randomId()}`);
}

export async function makeAccount(pinKey: CryptoKey, overrides: Partial<AccountRecord> = {}) {
  const { secretKey, publicKey } = generateDeviceKeyPair();
  const account: AccountRecord = {
    deviceId: randomId(),
    relayOrigin: 'http://127.0.0.1:8787',
    relayName: 'Test relay',
    userId: randomId(),
    upn: 'alice@demo.test',
    displayName: 'Alice Example',
    deviceName: 'Chromium on Linux',
    publicKey,
    wrappedKey: await wrapSecret(pinKey, secretKey, accountKeyLabel(publicKey)),
    connectKey: await importConnectKey(secretKey, publicKey),
    createdAt: Date.now(),
    ...overrides,
  };
  return { account, secretKey };
}
