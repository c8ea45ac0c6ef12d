import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decisionStatement, verifyStatementWithNoble, type Decision } from '../../../protocol/index.ts';
import type { DeviceCrypto } from '../../../protocol/device/index.ts';
import type { ActiveAccount } from '../../../extension/lib/db.ts';
import { signDecision } from '../../../extension/lib/sign-decision.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';
import { challengeFor, makeAccount, testWrappingKey } from './helpers.ts';

const NOW = 1_700_000_000_000;

/** Counts every signature the connect key makes. */
function countingCrypto(): { crypto: DeviceCrypto<CryptoKey>; signatures: () => number } {
  let count = 0;
  return {
    signatures: () => count,
    crypto: {
      ...webCryptoDeviceCrypto,
      connectSigner: (key, publicKey) => {
        const inner = webCryptoDeviceCrypto.connectSigner(key, publicKey);
        return { publicKey, sign: (statement) => (count++, inner.sign(statement)) };
      },
    },
  };
}

function statementOf(
  account: ActiveAccount,
  message: { requestId: string; decision: Decision; number: string; signedAt: number; unlock: 'pin' | 'webauthn' | 'none' },
) {
  return decisionStatement({ relayOrigin: account.relayOrigin, deviceId: account.deviceId, ...message });
}

describe('signDecision()', () => {
  let pinKey: CryptoKey;
  let account: ActiveAccount;

  beforeEach(async () => {
    pinKey = await testWrappingKey();
    account = (await makeAccount(pinKey)).account;
  });
  afterEach(() => vi.restoreAllMocks());

  for (const decision of ['deny', 'report'] as const) {
    it(`signs a ${decision} with the connect key and unlock "none", without the PIN and without unwrapping the approval key`, async () => {
      const unwraps = vi.spyOn(crypto.subtle, 'decrypt');
      const { crypto: deviceCrypto, signatures } = countingCrypto();
      const challenge = challengeFor(account);
      const result = await signDecision({ account, challenge, decision, number: '42', signedAt: NOW, pinKey: null, crypto: deviceCrypto });
      if (!result.ok) throw new Error(result.code);
      const { message } = result;
      expect(message).toMatchObject({
        type: 'decision',
        requestId: challenge.requestId,
        deviceId: account.deviceId,
        decision,
        number: '',
        unlock: 'none',
        signedAt: NOW,
      });
      expect(signatures()).toBe(1);
      expect(unwraps).not.toHaveBeenCalled();
      expect(verifyStatementWithNoble(statementOf(account, message), message.signature, account.connectPublicKey)).toBe(true);
      expect(verifyStatementWithNoble(statementOf(account, message), message.signature, account.publicKey)).toBe(false);
    });
  }

  it('uses the connect key for a deny even when the PIN key is at hand', async () => {
    const unwraps = vi.spyOn(crypto.subtle, 'decrypt');
    const result = await signDecision({ account, challenge: challengeFor(account), decision: 'deny', number: '', signedAt: NOW, pinKey });
    expect(result).toMatchObject({ ok: true, message: { unlock: 'none' } });
    expect(unwraps).not.toHaveBeenCalled();
  });

  it('signs nothing for an approve without the PIN', async () => {
    const unwraps = vi.spyOn(crypto.subtle, 'decrypt');
    const webCryptoSignatures = vi.spyOn(crypto.subtle, 'sign');
    const { crypto: deviceCrypto, signatures } = countingCrypto();
    const result = await signDecision({
      account,
      challenge: challengeFor(account),
      decision: 'approve',
      number: '42',
      signedAt: NOW,
      pinKey: null,
      crypto: deviceCrypto,
    });
    expect(result).toEqual({ ok: false, code: 'pin_required' });
    expect(signatures()).toBe(0);
    expect(unwraps).not.toHaveBeenCalled();
    expect(webCryptoSignatures).not.toHaveBeenCalled();
  });

  it('signs an approve with the approval key, unwrapped with the PIN key, and unlock "pin"', async () => {
    const { crypto: deviceCrypto, signatures } = countingCrypto();
    const result = await signDecision({
      account,
      challenge: challengeFor(account),
      decision: 'approve',
      number: '42',
      signedAt: NOW,
      pinKey,
      crypto: deviceCrypto,
    });
    if (!result.ok) throw new Error(result.code);
    expect(result.message).toMatchObject({ decision: 'approve', number: '42', unlock: 'pin' });
    expect(signatures()).toBe(0);
    expect(verifyStatementWithNoble(statementOf(account, result.message), result.message.signature, account.publicKey)).toBe(true);
    expect(verifyStatementWithNoble(statementOf(account, result.message), result.message.signature, account.connectPublicKey)).toBe(false);
  });

  it('signs nothing, and asks for the PIN, when the remembered key no longer opens the approval key', async () => {
    const wrong = await testWrappingKey();
    expect(
      await signDecision({ account, challenge: challengeFor(account), decision: 'approve', number: '42', signedAt: NOW, pinKey: wrong }),
    ).toEqual({ ok: false, code: 'pin_required' });
  });

  it('refuses an approve whose number does not have the right digits', async () => {
    const result = await signDecision({
      account,
      challenge: challengeFor(account),
      decision: 'approve',
      number: '4',
      signedAt: NOW,
      pinKey,
    });
    expect(result).toEqual({ ok: false, code: 'invalid_number' });
  });
});
