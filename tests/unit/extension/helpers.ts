import 'fake-indexeddb/auto';
import { generateDeviceKeyPair, randomId, type ChallengeMessage } from '../../../protocol/index.ts';
import type { ActiveAccount, Db } from '../../../extension/lib/db.ts';
import { openCountersignDb } from '../../../extension/lib/db.ts';
import { approvalKeyLabel, wrapSecret } from '../../../extension/lib/key-wrap.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';

/** Test iterations: production uses PBKDF2_ITERATIONS; key-wrap.test.ts pins that constant. */
export const FAST_ITERATIONS = 1_000;

export async function freshDb(): Promise<Db> {
  return openCountersignDb(`test-${randomId()}`);
}

/** A revision 2 account: the approval key wrapped under `pinKey`, a fresh non-extractable connect key. */
export async function makeAccount(pinKey: CryptoKey, overrides: Partial<ActiveAccount> = {}) {
  const { secretKey, publicKey } = generateDeviceKeyPair();
  const connect = await webCryptoDeviceCrypto.newConnectKey();
  const account: ActiveAccount = {
    status: 'active',
    deviceId: randomId(),
    relayOrigin: 'http://127.0.0.1:8787',
    relayName: 'Test relay',
    userId: randomId(),
    upn: 'alice@demo.test',
    displayName: 'Alice Example',
    deviceName: 'Chromium on Linux',
    publicKey,
    wrappedKey: await wrapSecret(pinKey, secretKey, approvalKeyLabel(publicKey)),
    connectPublicKey: connect.publicKey,
    connectKey: connect.key,
    createdAt: Date.now(),
    ...overrides,
  };
  return { account, secretKey };
}

/** A pending sign-in request for `account` (type mode, 2 digits), created at `now`. */
export function challengeFor(account: ActiveAccount, now = 1_700_000_000_000): ChallengeMessage {
  return {
    type: 'challenge',
    requestId: randomId(),
    deviceId: account.deviceId,
    account: { upn: account.upn, displayName: account.displayName },
    app: { name: 'Payroll' },
    context: { ip: '203.0.113.9', location: null, browser: 'Firefox', os: 'Windows' },
    match: { mode: 'type', digits: 2 },
    createdAt: now,
    expiresAt: now + 120_000,
  };
}
