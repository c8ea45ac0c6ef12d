import { beforeEach, describe, expect, it } from 'vitest';
import {
  REDEEM_PAIRING_PATH,
  RedeemPairingBody,
  buildPairingLink,
  connectStatement,
  pairStatement,
  parse,
  publicKeyOf,
  randomId,
  verifyStatementWithNoble,
  type PairingLink,
} from '../../../protocol/index.ts';
import type { DeviceCrypto } from '../../../protocol/device/index.ts';
import { isActiveAccount, type Db, type RetiredAccount } from '../../../extension/lib/db.ts';
import { deriveWrappingKey, newSalt } from '../../../extension/lib/key-wrap.ts';
import { pairAccount } from '../../../extension/lib/pair-account.ts';
import { unwrapApprovalKey } from '../../../extension/lib/pin-lock.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';
import { FAST_ITERATIONS, freshDb } from './helpers.ts';

const RELAY = 'http://127.0.0.1:8787';
const offer: PairingLink = { relayOrigin: RELAY, token: randomId(), upn: 'alice@demo.test' };
const link = buildPairingLink(offer);

/** Hands out the real keys but keeps a reference to each approval scalar, to see that it is wiped. */
function watchedCrypto(): { crypto: DeviceCrypto<CryptoKey>; scalars: Uint8Array[] } {
  const scalars: Uint8Array[] = [];
  return {
    scalars,
    crypto: {
      ...webCryptoDeviceCrypto,
      newApprovalKey: async () => {
        const key = await webCryptoDeviceCrypto.newApprovalKey();
        scalars.push(key.secretKey);
        return key;
      },
    },
  };
}

/** Checks the redeem body the way the relay does, then answers 201. */
function relayAccepting(seen: { body?: RedeemPairingBody; scalarWipedBeforePost?: boolean }, scalars: Uint8Array[]) {
  return async (url: string, body: unknown) => {
    expect(url).toBe(`${RELAY}${REDEEM_PAIRING_PATH}`);
    const parsed = parse(RedeemPairingBody, body);
    if (!parsed.ok) throw new Error(parsed.message);
    seen.body = parsed.value;
    seen.scalarWipedBeforePost = scalars.every((scalar) => scalar.every((byte) => byte === 0));
    const statement = pairStatement({
      relayOrigin: RELAY,
      pairingToken: offer.token,
      publicKey: parsed.value.publicKey,
      connectPublicKey: parsed.value.connectPublicKey,
      deviceName: parsed.value.deviceName,
    });
    expect(verifyStatementWithNoble(statement, parsed.value.signature, parsed.value.publicKey)).toBe(true);
    return {
      status: 201,
      body: {
        deviceId: randomId(),
        account: { userId: 'u1', upn: 'alice@demo.test', displayName: 'Alice Example' },
        relay: { origin: RELAY, name: 'Test relay' },
      },
    };
  };
}

describe('pairAccount()', () => {
  let db: Db;
  let pinKey: CryptoKey;
  const unlock = async () => ({ ok: true as const, key: pinKey });

  beforeEach(async () => {
    db = await freshDb();
    pinKey = await deriveWrappingKey('123456', newSalt(), FAST_ITERATIONS);
  });

  it('stores the approval key only wrapped under the PIN, and the connect key only as a non-extractable CryptoKey', async () => {
    const { crypto: deviceCrypto, scalars } = watchedCrypto();
    const seen: { body?: RedeemPairingBody; scalarWipedBeforePost?: boolean } = {};
    const result = await pairAccount({
      db,
      link,
      unlock,
      deviceName: 'Chromium on Linux',
      post: relayAccepting(seen, scalars),
      now: () => 5,
      crypto: deviceCrypto,
    });
    if (!result.ok) throw new Error(result.code);

    const stored = await db.get('accounts', result.account.deviceId);
    if (!isActiveAccount(stored)) throw new Error('not stored as an active account');
    expect(Object.keys(stored).sort()).toEqual(
      [
        'connectKey',
        'connectPublicKey',
        'createdAt',
        'deviceId',
        'deviceName',
        'displayName',
        'publicKey',
        'relayName',
        'relayOrigin',
        'status',
        'upn',
        'userId',
        'wrappedKey',
      ].sort(),
    );
    // The relay got both public keys, and they are the stored ones.
    expect(seen.body).toMatchObject({
      publicKey: stored.publicKey,
      connectPublicKey: stored.connectPublicKey,
      deviceName: 'Chromium on Linux',
    });
    expect(stored.publicKey).not.toBe(stored.connectPublicKey);

    // Approval key: wiped from memory before the relay was even asked; the wrapped copy opens with the PIN key only.
    expect(seen.scalarWipedBeforePost).toBe(true);
    const scalar = await unwrapApprovalKey(pinKey, stored);
    expect(publicKeyOf(scalar)).toBe(stored.publicKey);
    await expect(unwrapApprovalKey(await deriveWrappingKey('654321', newSalt(), FAST_ITERATIONS), stored)).rejects.toThrow();

    // Connect key: a private ECDSA P-256 key that signs but cannot be exported, matching connectPublicKey.
    const { connectKey } = stored;
    expect(connectKey).toBeInstanceOf(CryptoKey);
    expect(connectKey).toMatchObject({
      type: 'private',
      extractable: false,
      usages: ['sign'],
      algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    });
    await expect(crypto.subtle.exportKey('jwk', connectKey)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('pkcs8', connectKey)).rejects.toThrow();
    const statement = connectStatement({ relayOrigin: RELAY, nonce: randomId(), deviceId: stored.deviceId });
    const signature = await webCryptoDeviceCrypto.connectSigner(connectKey, stored.connectPublicKey).sign(statement);
    expect(verifyStatementWithNoble(statement, signature, stored.connectPublicKey)).toBe(true);
    expect(verifyStatementWithNoble(statement, signature, stored.publicKey)).toBe(false);
  });

  it('stores nothing when the relay refuses, and wipes the approval key all the same', async () => {
    const { crypto: deviceCrypto, scalars } = watchedCrypto();
    const post = async () => ({ status: 409, body: { error: { code: 'pairing_used', message: 'This pairing was already used.' } } });
    expect(await pairAccount({ db, link, unlock, deviceName: 'x', post, now: () => 1, crypto: deviceCrypto })).toEqual({
      ok: false,
      code: 'pairing_used',
    });
    expect(await db.count('accounts')).toBe(0);
    expect(scalars[0]!.every((byte) => byte === 0)).toBe(true);
  });

  it('refuses a link to an http relay off loopback before asking for the PIN or the relay', async () => {
    let asked = 0;
    const post = async () => {
      asked++;
      return { status: 500, body: null };
    };
    const insecure = buildPairingLink({ ...offer, relayOrigin: 'http://id.example.com' });
    const countingUnlock = async () => (asked++, unlock());
    expect(await pairAccount({ db, link: insecure, unlock: countingUnlock, deviceName: 'x', post, now: () => 1 })).toEqual({
      ok: false,
      code: 'insecure_relay',
    });
    expect(asked).toBe(0);
    expect(await db.count('accounts')).toBe(0);
  });

  it('creates no key when the PIN is wrong', async () => {
    const { crypto: deviceCrypto, scalars } = watchedCrypto();
    const wrongPin = async () => ({ ok: false as const, code: 'wrong_pin', retryAt: 0 });
    const post = async () => ({ status: 500, body: null });
    expect(await pairAccount({ db, link, unlock: wrongPin, deviceName: 'x', post, now: () => 1, crypto: deviceCrypto })).toMatchObject({
      ok: false,
      code: 'wrong_pin',
    });
    expect(scalars).toEqual([]);
  });

  it('says so when the relay cannot be reached', async () => {
    const post = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await pairAccount({ db, link, unlock, deviceName: 'x', post, now: () => 1 })).toEqual({ ok: false, code: 'relay_unreachable' });
    expect(await db.count('accounts')).toBe(0);
  });

  it('replaces the entry of the same person on the same relay that waited to be added again', async () => {
    const retired: RetiredAccount = {
      status: 'needs_re_add',
      deviceId: randomId(),
      relayOrigin: RELAY,
      relayName: 'Test relay',
      userId: 'u1',
      upn: 'alice@demo.test',
      displayName: 'Alice Example',
      deviceName: 'Chromium on Linux',
      publicKey: 'old',
      createdAt: 1,
      retiredAt: 2,
    };
    const elsewhere: RetiredAccount = { ...retired, deviceId: randomId(), relayOrigin: 'https://other.example' };
    await db.put('accounts', retired);
    await db.put('accounts', elsewhere);
    const { scalars } = watchedCrypto();
    const result = await pairAccount({
      db,
      link,
      unlock,
      deviceName: 'Chromium on Linux',
      post: relayAccepting({}, scalars),
      now: () => 5,
    });
    expect(result.ok).toBe(true);
    expect(await db.get('accounts', retired.deviceId)).toBeUndefined();
    expect(await db.get('accounts', elsewhere.deviceId)).toEqual(elsewhere);
    expect(await db.count('accounts')).toBe(2);
  });

  it('pairing the same person on the same relay again replaces the working entry: no duplicate', async () => {
    const { scalars } = watchedCrypto();
    const first = await pairAccount({ db, link, unlock, deviceName: 'Work laptop', post: relayAccepting({}, scalars), now: () => 5 });
    const second = await pairAccount({ db, link, unlock, deviceName: 'Work laptop', post: relayAccepting({}, scalars), now: () => 6 });
    if (!first.ok || !second.ok) throw new Error('pairing failed');
    expect(second.account.deviceId).not.toBe(first.account.deviceId);
    expect((await db.getAll('accounts')).map((account) => account.deviceId)).toEqual([second.account.deviceId]);
  });
});
