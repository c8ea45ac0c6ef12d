import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decisionStatement, randomBytes, toBase64Url, verifyStatementWithNoble } from '../../../protocol/index.ts';
import { activeAccounts, type ActiveAccount, type Db } from '../../../extension/lib/db.ts';
import { unwrapWithPinKey } from '../../../protocol/pin-wrap.ts';
import { approvalKeyLabel, unwrapSecret, wrapSecret } from '../../../extension/lib/key-wrap.ts';
import { signDecision } from '../../../extension/lib/sign-decision.ts';
import {
  biometricStatus,
  decodePrfOutput,
  derivePrfKey,
  disableBiometric,
  storeBiometric,
  wrapForBiometric,
  readBiometric,
  unlockWithPrf,
  unwrapWithPrfKey,
  webAuthnKeyLabel,
} from '../../../extension/lib/webauthn-unlock.ts';
import { challengeFor, freshDb, makeAccount, testWrappingKey } from './helpers.ts';

const NOW = 1_700_000_000_000;
/** Fake PRF outputs: what an authenticator would give for one credential and salt. */
const PRF = new Uint8Array(32).fill(7);
const OTHER_PRF = new Uint8Array(32).fill(8);
const CREDENTIAL_ID = toBase64Url(randomBytes(32));
const PRF_SALT = toBase64Url(randomBytes(32));

describe('derivePrfKey()', () => {
  it('derives the same AES-GCM key from the same PRF output, and another from another', async () => {
    const secret = randomBytes(32);
    const wrapped = await wrapSecret(await derivePrfKey(PRF), secret, 'label');
    expect(await unwrapSecret(await derivePrfKey(new Uint8Array(PRF)), wrapped, 'label')).toEqual(secret);
    await expect(unwrapSecret(await derivePrfKey(OTHER_PRF), wrapped, 'label')).rejects.toThrow();
  });

  it('gives a key that cannot be exported', async () => {
    const key = await derivePrfKey(PRF);
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
  });

  it('refuses a PRF output that is not 32 bytes', async () => {
    await expect(derivePrfKey(new Uint8Array(16))).rejects.toThrow(RangeError);
  });
});

describe('decodePrfOutput()', () => {
  it('accepts 32 bytes of base64url and nothing else', () => {
    expect(decodePrfOutput(toBase64Url(PRF))).toEqual(PRF);
    expect(decodePrfOutput(toBase64Url(new Uint8Array(31)))).toBeNull();
    expect(decodePrfOutput('not base64 at all!')).toBeNull();
  });
});

describe('webAuthnKeyLabel()', () => {
  it('differs from the PIN wrap label, so the two copies cannot be swapped', () => {
    expect(webAuthnKeyLabel('PUB')).not.toBe(approvalKeyLabel('PUB'));
  });
});

/**
 * Setup as the popup and the worker do it together: each account's approval key opened with its
 * PIN wrapping key (the page's unlock through the relay), wrapped under the PRF key, stored.
 */
async function enableBiometric(
  db: Db,
  input: { pinKey: CryptoKey; credentialId: string; prfSalt: string; prfOutput: Uint8Array; now: number },
): Promise<void> {
  const secrets = [];
  for (const account of await activeAccounts(db)) {
    const secretKey = await unwrapWithPinKey(input.pinKey, account.pinWrap!, account.deviceId);
    if (!secretKey) throw new Error('wrong PIN');
    secrets.push({ deviceId: account.deviceId, publicKey: account.publicKey, secretKey });
  }
  const wrapped = await wrapForBiometric(input.prfOutput, secrets);
  await storeBiometric(db, { credentialId: input.credentialId, prfSalt: input.prfSalt, ...wrapped, now: input.now });
}

describe('biometric unlock setup and turning it off', () => {
  let db: Db;
  let pinKey: CryptoKey;
  let alice: { account: ActiveAccount; secretKey: Uint8Array };
  let bob: { account: ActiveAccount; secretKey: Uint8Array };

  beforeEach(async () => {
    db = await freshDb();
    pinKey = await testWrappingKey();
    alice = await makeAccount(pinKey);
    bob = await makeAccount(pinKey, { upn: 'bob@demo.test' });
    await db.put('accounts', alice.account);
    await db.put('accounts', bob.account);
  });
  afterEach(() => {
    db.close();
    vi.restoreAllMocks();
  });

  const enable = () =>
    enableBiometric(db, { pinKey, credentialId: CREDENTIAL_ID, prfSalt: PRF_SALT, prfOutput: new Uint8Array(PRF), now: NOW });

  it('starts off', async () => {
    expect(await biometricStatus(db)).toEqual({ enabled: false, credentialId: null, prfSalt: null, covered: 0, accounts: 2 });
  });

  it('wraps a second copy of every approval key under the PRF key and leaves the PIN copies as they were', async () => {
    await enable();
    const record = await readBiometric(db);
    expect(record).toMatchObject({ credentialId: CREDENTIAL_ID, prfSalt: PRF_SALT, enabledAt: NOW });
    expect(Object.keys(record!.wrappedKeys).sort()).toEqual([alice.account.deviceId, bob.account.deviceId].sort());
    const prfKey = await derivePrfKey(PRF);
    for (const { account, secretKey } of [alice, bob]) {
      expect(await unwrapSecret(prfKey, record!.wrappedKeys[account.deviceId]!, webAuthnKeyLabel(account.publicKey))).toEqual(secretKey);
      expect(await db.get('accounts', account.deviceId)).toEqual(account);
    }
    expect(await biometricStatus(db)).toMatchObject({ enabled: true, covered: 2, accounts: 2 });
  });

  it('stores nothing that approves without a key: no scalar in the record', async () => {
    await enable();
    const stored = JSON.stringify(await readBiometric(db));
    for (const { secretKey } of [alice, bob]) expect(stored).not.toContain(toBase64Url(secretKey));
    expect(stored).not.toContain(toBase64Url(PRF));
  });

  it('fails, writing nothing, when the PIN key is wrong', async () => {
    const wrong = await testWrappingKey();
    await expect(
      enableBiometric(db, { pinKey: wrong, credentialId: CREDENTIAL_ID, prfSalt: PRF_SALT, prfOutput: PRF, now: NOW }),
    ).rejects.toThrow();
    expect(await readBiometric(db)).toBeUndefined();
  });

  it('counts an account added after setup as not covered until setup runs again', async () => {
    await enable();
    const carol = await makeAccount(pinKey, { upn: 'carol@demo.test' });
    await db.put('accounts', carol.account);
    expect(await biometricStatus(db)).toMatchObject({ covered: 2, accounts: 3 });
    expect(await unlockWithPrf(db, toBase64Url(PRF), carol.account)).toEqual({ ok: false, code: 'biometric_not_covered' });
    await enable();
    expect(await biometricStatus(db)).toMatchObject({ covered: 3, accounts: 3 });
  });

  it('unlocks one account with the right PRF output, and signs an approve with unlock "webauthn"', async () => {
    await enable();
    const unlocked = await unlockWithPrf(db, toBase64Url(PRF), alice.account);
    if (!unlocked.ok) throw new Error(unlocked.code);
    expect(await unwrapWithPrfKey(unlocked.unlock, alice.account)).toEqual(alice.secretKey);

    const challenge = challengeFor(alice.account);
    const signed = await signDecision({
      account: alice.account,
      challenge,
      decision: 'approve',
      number: '42',
      signedAt: NOW,
      pinKey: null,
      webauthn: unlocked.unlock,
    });
    if (!signed.ok) throw new Error(signed.code);
    expect(signed.message).toMatchObject({ decision: 'approve', number: '42', unlock: 'webauthn' });
    const { requestId, decision, number, signedAt, unlock } = signed.message;
    const statement = decisionStatement({
      relayOrigin: alice.account.relayOrigin,
      deviceId: alice.account.deviceId,
      requestId,
      decision,
      number,
      signedAt,
      unlock,
    });
    expect(verifyStatementWithNoble(statement, signed.message.signature, alice.account.publicKey)).toBe(true);
  });

  it("cannot unlock another account's copy, even with the right PRF output", async () => {
    await enable();
    const unlocked = await unlockWithPrf(db, toBase64Url(PRF), alice.account);
    if (!unlocked.ok) throw new Error(unlocked.code);
    await expect(unwrapWithPrfKey(unlocked.unlock, bob.account)).rejects.toThrow();
  });

  it('refuses a PRF output from another credential or salt, signing nothing', async () => {
    await enable();
    const sign = vi.spyOn(crypto.subtle, 'sign');
    expect(await unlockWithPrf(db, toBase64Url(OTHER_PRF), alice.account)).toEqual({ ok: false, code: 'biometric_mismatch' });
    expect(await unlockWithPrf(db, 'short', alice.account)).toEqual({ ok: false, code: 'invalid_prf' });
    expect(sign).not.toHaveBeenCalled();
  });

  it('turned off, deletes the PRF-wrapped copies; the PIN copies still sign', async () => {
    await enable();
    await disableBiometric(db);
    expect(await readBiometric(db)).toBeUndefined();
    expect(await unlockWithPrf(db, toBase64Url(PRF), alice.account)).toEqual({ ok: false, code: 'biometric_off' });
    const stored = (await db.get('accounts', alice.account.deviceId)) as ActiveAccount;
    const signed = await signDecision({
      account: stored,
      challenge: challengeFor(stored),
      decision: 'approve',
      number: '42',
      signedAt: NOW,
      pinKey,
    });
    expect(signed).toMatchObject({ ok: true, message: { unlock: 'pin' } });
  });
});
