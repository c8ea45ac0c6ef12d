import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, publicKeyOf, signStatement, utf8, verifyStatementWithNoble } from '../../../protocol/index.ts';
import { generateDeviceKeyPair } from '../../../protocol/device-keys.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';

const statement = utf8('countersign/v2/approve\nhttps://id.example.com\nreq\ndev\napprove\n42\n1700000000000\npin');

/** The relay's verifier: node:crypto with the key from its uncompressed point. */
function verifiesWithNodeCrypto(signature: string, publicKey: string): boolean {
  const point = fromBase64Url(publicKey);
  const key = createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(point.subarray(33)).toString('base64url'),
    },
  });
  return verify('sha256', statement, { key, dsaEncoding: 'ieee-p1363' }, fromBase64Url(signature));
}

describe('webCryptoDeviceCrypto: the approval key without a curve library', () => {
  it('hands out the scalar of the public key it reports', async () => {
    const { secretKey, publicKey } = await webCryptoDeviceCrypto.newApprovalKey();
    expect(secretKey).toHaveLength(32);
    expect(publicKeyOf(secretKey)).toBe(publicKey);
  });

  it('signs what node:crypto and noble both verify, for its own keys and for noble-made ones', async () => {
    for (const { secretKey, publicKey } of [await webCryptoDeviceCrypto.newApprovalKey(), generateDeviceKeyPair()]) {
      const signature = await webCryptoDeviceCrypto.approvalSigner(secretKey, publicKey).sign(statement);
      expect(fromBase64Url(signature)).toHaveLength(64);
      expect(verifiesWithNodeCrypto(signature, publicKey)).toBe(true);
      expect(verifyStatementWithNoble(statement, signature, publicKey)).toBe(true);
    }
  });

  it('refuses a scalar that does not belong to the public key, and a short one', async () => {
    const mine = await webCryptoDeviceCrypto.newApprovalKey();
    const other = generateDeviceKeyPair();
    await expect(webCryptoDeviceCrypto.approvalSigner(other.secretKey, mine.publicKey).sign(statement)).rejects.toThrow();
    await expect(webCryptoDeviceCrypto.approvalSigner(mine.secretKey.subarray(1), mine.publicKey).sign(statement)).rejects.toThrow();
  });

  it('leaves the caller’s scalar as it was (the caller wipes it)', async () => {
    const { secretKey, publicKey } = generateDeviceKeyPair();
    const copy = secretKey.slice();
    await webCryptoDeviceCrypto.approvalSigner(secretKey, publicKey).sign(statement);
    expect(secretKey).toEqual(copy);
    // The noble signer and this one agree on the key: both signatures verify under it.
    expect(verifiesWithNodeCrypto(signStatement(statement, secretKey), publicKey)).toBe(true);
  });
});
