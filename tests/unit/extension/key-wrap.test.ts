import { describe, expect, it } from 'vitest';
import { generateDeviceKeyPair } from '../../../protocol/index.ts';
import { approvalKeyLabel, unwrapSecret, wrapSecret } from '../../../extension/lib/key-wrap.ts';
import { LEGACY_PBKDF2_ITERATIONS, legacyPinKey } from '../../../extension/lib/legacy-pin-lock.ts';
import { FAST_ITERATIONS } from './helpers.ts';

let salts = 0;
const newSalt = () => `c2FsdHNhbHRzYWx0c2Fs${String(salts++ % 10)}A`;
const deriveWrappingKey = (pin: string, salt: string, iterations: number) => legacyPinKey(pin, { salt, iterations });

describe('key wrapping (labelled wraps; revision 2 PIN lock kept for the upgrade only)', () => {
  it('reads revision 2 wraps made with 600,000 PBKDF2 iterations', () => {
    expect(LEGACY_PBKDF2_ITERATIONS).toBe(600_000);
  });

  it('unwraps with the right PIN', async () => {
    const salt = newSalt();
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const key = await deriveWrappingKey('123456', salt, FAST_ITERATIONS);
    const wrapped = await wrapSecret(key, secretKey, approvalKeyLabel(publicKey));
    expect(wrapped.ciphertext).not.toContain(Buffer.from(secretKey).toString('base64url'));
    const again = await deriveWrappingKey('123456', salt, FAST_ITERATIONS);
    expect(await unwrapSecret(again, wrapped, approvalKeyLabel(publicKey))).toEqual(secretKey);
  });

  it('fails with a wrong PIN', async () => {
    const salt = newSalt();
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const wrapped = await wrapSecret(await deriveWrappingKey('123456', salt, FAST_ITERATIONS), secretKey, approvalKeyLabel(publicKey));
    const wrong = await deriveWrappingKey('654321', salt, FAST_ITERATIONS);
    await expect(unwrapSecret(wrong, wrapped, approvalKeyLabel(publicKey))).rejects.toThrow();
  });

  it('refuses a wrapped key moved onto another account record', async () => {
    const key = await deriveWrappingKey('123456', newSalt(), FAST_ITERATIONS);
    const a = generateDeviceKeyPair();
    const b = generateDeviceKeyPair();
    const wrapped = await wrapSecret(key, a.secretKey, approvalKeyLabel(a.publicKey));
    await expect(unwrapSecret(key, wrapped, approvalKeyLabel(b.publicKey))).rejects.toThrow();
  });

  it('uses a fresh nonce every time', async () => {
    const key = await deriveWrappingKey('123456', newSalt(), FAST_ITERATIONS);
    const secret = new Uint8Array(32).fill(7);
    const [one, two] = [await wrapSecret(key, secret, 'x'), await wrapSecret(key, secret, 'x')];
    expect(one.iv).not.toEqual(two.iv);
  });
});
