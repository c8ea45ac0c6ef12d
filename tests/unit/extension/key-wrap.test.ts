import { describe, expect, it } from 'vitest';
import {
  connectStatement,
  fromBase64Url,
  generateDeviceKeyPair,
  verifyStatementWithNoble,
} from '../../../protocol/index.ts';
import {
  PBKDF2_ITERATIONS,
  accountKeyLabel,
  deriveWrappingKey,
  importConnectKey,
  isValidPin,
  newSalt,
  signWithConnectKey,
  unwrapSecret,
  wrapSecret,
} from '../../../extension/lib/key-wrap.ts';
import { FAST_ITERATIONS } from './helpers.ts';
void fromBase64Url;

describe('key wrapping', () => {
  it('uses at least 600,000 PBKDF2 iterations in production', () => {
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
  });

  it('unwraps with the right PIN', async () => {
    const salt = newSalt();
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const key = await deriveWrappingKey('123456', salt, FAST_ITERATIONS);
    const wrapped = await wrapSecret(key, secretKey, accountKeyLabel(publicKey));
    expect(wrapped.ciphertext).not.toContain(Buffer.from(secretKey).toString('base64url'));
    const again = await deriveWrappingKey('123456', salt, FAST_ITERATIONS);
    expect(await unwrapSecret(again, wrapped, accountKeyLabel(publicKey))).toEqual(secretKey);
  });

  it('fails with a wrong PIN', async () => {
    const salt = newSalt();
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const wrapped = await wrapSecret(await deriveWrappingKey('123456', salt, FAST_ITERATIONS), secretKey, accountKeyLabel(publicKey));
    const wrong = await deriveWrappingKey('654321', salt, FAST_ITERATIONS);
    await expect(unwrapSecret(wrong, wrapped, accountKeyLabel(publicKey))).rejects.toThrow();
  });

  it('refuses a wrapped key moved onto another account record', async () => {
    const key = await deriveWrappingKey('123456', newSalt(), FAST_ITERATIONS);
    const a = generateDeviceKeyPair();
    const b = generateDeviceKeyPair();
    const wrapped = await wrapSecret(key, a.secretKey, accountKeyLabel(a.publicKey));
    await expect(unwrapSecret(key, wrapped, accountKeyLabel(b.publicKey))).rejects.toThrow();
  });

  it('uses a fresh salt and nonce every time', async () => {
    expect(newSalt()).not.toEqual(newSalt());
    const key = await deriveWrappingKey('123456', newSalt(), FAST_ITERATIONS);
    const secret = new Uint8Array(32).fill(7);
    const [one, two] = [await wrapSecret(key, secret, 'x'), await wrapSecret(key, secret, 'x')];
    expect(one.iv).not.toEqual(two.iv);
  });

  it('accepts only PINs of at least 6 digits', () => {
    expect(isValidPin('123456')).toBe(true);
    expect(isValidPin('12345')).toBe(false);
    expect(isValidPin('12345a')).toBe(false);
    expect(isValidPin('')).toBe(false);
  });
});

describe('importConnectKey()', () => {
  it('makes a non-extractable key whose r‖s signatures verify against the account key', async () => {
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const key = await importConnectKey(secretKey, publicKey);
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', key)).rejects.toThrow();
    const statement = connectStatement({ relayOrigin: 'http://127.0.0.1:8787', nonce: 'n'.repeat(22), deviceId: 'd'.repeat(22) });
    const signature = await signWithConnectKey(key, statement);
    expect(signature).toHaveLength(86);
    expect(verifyStatementWithNoble(statement, signature, publicKey)).toBe(true);
  });
});
