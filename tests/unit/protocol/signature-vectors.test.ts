import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import {
  connectStatement,
  decisionStatement,
  fromBase64Url,
  pairStatement,
  publicKeyOf,
  signStatement,
  toBase64Url,
  utf8,
  verifyStatementWithNoble,
} from '../../../protocol/index.ts';

interface Vector {
  name: string;
  kind: 'pair' | 'connect' | 'decision';
  secretKey: string;
  publicKey: string;
  input: Record<string, string | number>;
  statement: string;
  signatures: { lowS: string; highS: string };
}
interface NegativeVector {
  name: string;
  publicKey: string;
  statement: string;
  signature: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/signature-vectors.json', import.meta.url), 'utf8')) as {
  curveOrder: string;
  vectors: Vector[];
  negative: NegativeVector[];
};

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sOf = (signature: string) => BigInt(`0x${toHex(fromBase64Url(signature).subarray(32))}`);

/** The relay's way: a JWK split out of the 65-byte point, P1363 signatures. */
function nodeKey(publicKey: string): KeyObject {
  const point = fromBase64Url(publicKey);
  return createPublicKey({
    format: 'jwk',
    key: { kty: 'EC', crv: 'P-256', x: toBase64Url(point.subarray(1, 33)), y: toBase64Url(point.subarray(33, 65)) },
  });
}
function verifyWithNode(statement: Uint8Array, signature: string, publicKey: string): boolean {
  return nodeVerify('sha256', statement, { key: nodeKey(publicKey), dsaEncoding: 'ieee-p1363' }, fromBase64Url(signature));
}

function buildStatement(vector: Vector): Uint8Array {
  switch (vector.kind) {
    case 'pair':
      return pairStatement(vector.input as Parameters<typeof pairStatement>[0]);
    case 'connect':
      return connectStatement(vector.input as Parameters<typeof connectStatement>[0]);
    case 'decision':
      return decisionStatement(vector.input as Parameters<typeof decisionStatement>[0]);
  }
}

describe('signature vectors (tests/fixtures/signature-vectors.json)', () => {
  it('cover pair, connect, approvals with a number and refusals without one', () => {
    expect(fixture.curveOrder).toBe(N.toString(16));
    expect(fixture.vectors.map((vector) => vector.kind).sort()).toEqual([
      'connect',
      'decision',
      'decision',
      'decision',
      'decision',
      'pair',
      'pair',
    ]);
    const decisions = fixture.vectors.filter((vector) => vector.kind === 'decision').map((vector) => vector.input);
    expect(decisions).toContainEqual(expect.objectContaining({ decision: 'approve', number: '07', unlock: 'pin' }));
    expect(decisions).toContainEqual(expect.objectContaining({ decision: 'approve', number: '07', unlock: 'webauthn' }));
    expect(decisions).toContainEqual(expect.objectContaining({ decision: 'deny', number: '', unlock: 'none' }));
    expect(decisions).toContainEqual(expect.objectContaining({ decision: 'report', number: '', unlock: 'none' }));
    expect(fixture.negative.length).toBeGreaterThanOrEqual(fixture.vectors.length);
  });

  it('sign pair and approve with the approval key, connect and refusals with the connect key (section 2)', () => {
    const pair = fixture.vectors.find((vector) => vector.name === 'pair')!;
    const approvalKey = pair.input.publicKey;
    const connectKey = pair.input.connectPublicKey;
    expect(approvalKey).not.toBe(connectKey);
    expect(pair.publicKey).toBe(approvalKey);
    for (const vector of fixture.vectors.filter((candidate) => candidate.kind === 'decision')) {
      expect(vector.publicKey).toBe(vector.input.decision === 'approve' ? approvalKey : connectKey);
    }
    expect(fixture.vectors.find((vector) => vector.kind === 'connect')!.publicKey).toBe(connectKey);
  });

  describe.each(fixture.vectors)('$name', (vector) => {
    const statement = fromHex(vector.statement);

    it('has a 65-byte uncompressed public key that belongs to its secret key', () => {
      const point = fromBase64Url(vector.publicKey);
      expect(point).toHaveLength(65);
      expect(point[0]).toBe(0x04);
      expect(publicKeyOf(fromHex(vector.secretKey))).toBe(vector.publicKey);
    });

    it('is reproduced byte for byte by the statement builder', () => {
      expect(toHex(buildStatement(vector))).toBe(vector.statement);
    });

    it('starts with its tag and joins the fields with newlines', () => {
      const fields = Object.values(vector.input).map(String);
      expect(new TextDecoder().decode(statement)).toBe([`countersign/v1/${vector.kind}`, ...fields].join('\n'));
    });

    it('has one low-S and one high-S signature of 64 bytes with the same r', () => {
      const low = fromBase64Url(vector.signatures.lowS);
      const high = fromBase64Url(vector.signatures.highS);
      expect(low).toHaveLength(64);
      expect(high).toHaveLength(64);
      expect(toHex(high.subarray(0, 32))).toBe(toHex(low.subarray(0, 32)));
      expect(sOf(vector.signatures.lowS) <= N / 2n).toBe(true);
      expect(sOf(vector.signatures.highS)).toBe(N - sOf(vector.signatures.lowS));
    });

    it('is re-signed by noble to the same low-S signature (RFC 6979)', () => {
      expect(signStatement(statement, fromHex(vector.secretKey))).toBe(vector.signatures.lowS);
    });

    it('verifies both signatures with verifyStatementWithNoble()', () => {
      expect(verifyStatementWithNoble(statement, vector.signatures.lowS, vector.publicKey)).toBe(true);
      expect(verifyStatementWithNoble(statement, vector.signatures.highS, vector.publicKey)).toBe(true);
    });

    it('verifies both signatures with node:crypto', () => {
      expect(verifyWithNode(statement, vector.signatures.lowS, vector.publicKey)).toBe(true);
      expect(verifyWithNode(statement, vector.signatures.highS, vector.publicKey)).toBe(true);
    });

    it('accepts a node:crypto signature with noble, whichever half s falls in', () => {
      const privateKey = createPrivateKeyFromVector(vector);
      const seen = new Set<boolean>();
      // ECDSA in OpenSSL is randomized; 24 signatures all but guarantee both low and high S.
      for (let i = 0; i < 24; i++) {
        const signature = toBase64Url(nodeSign('sha256', statement, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
        seen.add(sOf(signature) > N / 2n);
        expect(verifyStatementWithNoble(statement, signature, vector.publicKey)).toBe(true);
      }
      expect(seen).toEqual(new Set([true, false]));
    });
  });

  describe.each(fixture.negative)('negative: $name', (negative) => {
    const statement = fromHex(negative.statement);

    it('is rejected by verifyStatementWithNoble()', () => {
      expect(verifyStatementWithNoble(statement, negative.signature, negative.publicKey)).toBe(false);
    });

    it('is rejected by node:crypto', () => {
      expect(verifyWithNode(statement, negative.signature, negative.publicKey)).toBe(false);
    });
  });
});

describe('verifyStatementWithNoble()', () => {
  const [vector] = fixture.vectors;
  const statement = fromHex(vector!.statement);

  it('returns false instead of throwing on a malformed signature or key', () => {
    expect(verifyStatementWithNoble(statement, 'not base64url!', vector!.publicKey)).toBe(false);
    expect(verifyStatementWithNoble(statement, vector!.signatures.lowS.slice(0, 80), vector!.publicKey)).toBe(false);
    expect(verifyStatementWithNoble(statement, vector!.signatures.lowS, vector!.publicKey.slice(0, 43))).toBe(false);
    expect(verifyStatementWithNoble(statement, toBase64Url(new Uint8Array(64)), vector!.publicKey)).toBe(false);
  });

  it('rejects s = n (out of range), so high-S acceptance does not widen into nonsense', () => {
    const signature = fromBase64Url(vector!.signatures.lowS);
    signature.set(fromHex(N.toString(16)), 32);
    expect(verifyStatementWithNoble(statement, toBase64Url(signature), vector!.publicKey)).toBe(false);
  });

  it('verifies a signature made by node:crypto from a fresh key pair', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = new Uint8Array([4, ...fromBase64Url(jwk.x!), ...fromBase64Url(jwk.y!)]);
    const message = utf8('countersign/v1/connect\nhttp://127.0.0.1:8787\nnonce\ndevice');
    const signature = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyStatementWithNoble(message, toBase64Url(signature), toBase64Url(point))).toBe(true);
  });
});

describe('signStatement()', () => {
  it('makes low-S signatures that node:crypto verifies', () => {
    const secretKey = p256.utils.randomSecretKey();
    const publicKey = publicKeyOf(secretKey);
    for (let i = 0; i < 8; i++) {
      const message = utf8(`countersign/v1/connect\nhttp://127.0.0.1:8787\nnonce-${i}\ndevice`);
      const signature = signStatement(message, secretKey);
      expect(sOf(signature) <= N / 2n).toBe(true);
      expect(verifyWithNode(message, signature, publicKey)).toBe(true);
    }
  });
});

function createPrivateKeyFromVector(vector: Vector): KeyObject {
  const point = fromBase64Url(vector.publicKey);
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: toBase64Url(point.subarray(1, 33)),
      y: toBase64Url(point.subarray(33, 65)),
      d: toBase64Url(fromHex(vector.secretKey)),
    },
  });
}
