import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  publicKeyFromPoint,
  verifyDeviceSignature,
  verifyDeviceSignatureOffThread,
} from '../../../relay-server/security/verify-signature.ts';

/** The relay's two ways to check a device signature agree with the known-answer vectors (signatures in base64url). */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/signature-vectors.json', import.meta.url), 'utf8')) as {
  vectors: { name: string; publicKey: string; statement: string; signatures: { lowS: string; highS: string } }[];
  negative: { name: string; publicKey: string; statement: string; signature: string }[];
};
const statementBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

describe('device signature checks', () => {
  it.each(fixture.vectors)('accept low-S and high-S signatures: $name', async (vector) => {
    const key = publicKeyFromPoint(vector.publicKey);
    for (const signature of [vector.signatures.lowS, vector.signatures.highS]) {
      expect(verifyDeviceSignature(statementBytes(vector.statement), signature, key)).toBe(true);
      expect(await verifyDeviceSignatureOffThread(statementBytes(vector.statement), signature, key)).toBe(true);
    }
  });

  it.each(fixture.negative)('refuse $name', async (vector) => {
    const statement = statementBytes(vector.statement);
    expect(verifyDeviceSignature(statement, vector.signature, vector.publicKey)).toBe(false);
    let key;
    try {
      key = publicKeyFromPoint(vector.publicKey);
    } catch {
      return; // not a key at all: the relay refuses it before any signature is checked
    }
    expect(await verifyDeviceSignatureOffThread(statement, vector.signature, key)).toBe(false);
  });

  it('refuse signatures that are not 64 bytes of base64url, without throwing', async () => {
    const vector = fixture.vectors[0]!;
    const key = publicKeyFromPoint(vector.publicKey);
    for (const bad of ['', 'A'.repeat(85), 'not base64url!', `${vector.signatures.lowS}AA`]) {
      expect(verifyDeviceSignature(statementBytes(vector.statement), bad, key)).toBe(false);
      expect(await verifyDeviceSignatureOffThread(statementBytes(vector.statement), bad, key)).toBe(false);
    }
  });
});
