import 'fake-indexeddb/auto';
import { generateDeviceKeyPair, randomId, type ChallengeMessage } from '../../../protocol/index.ts';
import type { ActiveAccount, Db } from '../../../extension/lib/db.ts';
import { openCountersignDb } from '../../../extension/lib/db.ts';
import { wrapWithPinKey } from '../../../protocol/pin-wrap.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';

/** Revision 2's PBKDF2 at test speed (its records say their own iterations). */
export const FAST_ITERATIONS = 1_000;

/**
 * A stand-in for an account's PIN wrapping key (section 4a: HKDF of the relay's OPRF evaluation):
 * a random non-extractable AES-256-GCM key, as the real one is.
 */
export async function testWrappingKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

export async function freshDb(): Promise<Db> {
  return openCountersignDb(`test-${randomId()}`);
}

/** A revision 3 account: the approval key wrapped under `pinKey` (AAD = deviceId), a fresh non-extractable connect key. */
export async function makeAccount(pinKey: CryptoKey, overrides: Partial<ActiveAccount> = {}) {
  const { secretKey, publicKey } = generateDeviceKeyPair();
  const connect = await webCryptoDeviceCrypto.newConnectKey();
  const deviceId = overrides.deviceId ?? randomId();
  const account: ActiveAccount = {
    status: 'active',
    deviceId,
    relayOrigin: 'http://127.0.0.1:8787',
    relayName: 'Test relay',
    userId: randomId(),
    upn: 'alice@demo.test',
    displayName: 'Alice Example',
    deviceName: 'Chromium on Linux',
    publicKey,
    pinWrap: await wrapWithPinKey(pinKey, secretKey, deviceId),
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
