/**
 * Writes tests/fixtures/signature-vectors.json: known-answer vectors for the three signed
 * statements of docs/protocol.md section 2 (revision 2: the `pair` and `approve` vectors are signed
 * by the approval key, labelled 'pair'; `connect`, `deny` and `report` by the connect key, 'device'). Kept for the record; everything is deterministic (fixed
 * keys derived from labels, RFC 6979 nonces), so running it again gives the same file.
 *
 *   npx tsx scripts/make-signature-vectors.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { connectStatement, decisionStatement, fromBase64Url, pairStatement, publicKeyOf, toBase64Url } from '../protocol/index.ts';

/** The order of the P-256 group. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const secretKeyFor = (label: string) => createHash('sha256').update(`countersign vector key: ${label}`).digest();

/** The same r with s replaced by n - s: equally valid, and what OpenSSL emits half the time. */
function highS(lowS: Uint8Array): Uint8Array {
  const s = BigInt(`0x${hex(lowS.subarray(32))}`);
  const flipped = Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex');
  return new Uint8Array([...lowS.subarray(0, 32), ...flipped]);
}

type Input = Record<string, string | number>;
interface Case {
  name: string;
  kind: 'pair' | 'connect' | 'decision';
  keyLabel: string;
  input: Input;
  /** One field changed, to make a negative vector. */
  tamper: Input;
}

function build(kind: Case['kind'], input: Input): Uint8Array {
  switch (kind) {
    case 'pair':
      return pairStatement(input as Parameters<typeof pairStatement>[0]);
    case 'connect':
      return connectStatement(input as Parameters<typeof connectStatement>[0]);
    case 'decision':
      return decisionStatement(input as Parameters<typeof decisionStatement>[0]);
  }
}

const relayOrigin = 'http://127.0.0.1:8787';
const deviceId = 'dEvIcE0123456789abcdeQ';
const pairKey = secretKeyFor('pair');
const connectKey = secretKeyFor('device');

const cases: Case[] = [
  {
    name: 'pair',
    kind: 'pair',
    keyLabel: 'pair',
    input: {
      relayOrigin,
      pairingToken: 'pAiRiNgToKeN0123456789',
      publicKey: publicKeyOf(pairKey),
      connectPublicKey: publicKeyOf(connectKey),
      deviceName: 'Zoë’s laptop — Chromium',
    },
    tamper: { deviceName: 'Zoe’s laptop — Chromium' },
  },
  {
    name: 'pair-keys-swapped',
    kind: 'pair',
    keyLabel: 'pair',
    input: {
      relayOrigin,
      pairingToken: 'pAiRiNgToKeN0123456789',
      publicKey: publicKeyOf(pairKey),
      connectPublicKey: publicKeyOf(connectKey),
      deviceName: 'Zoë’s laptop — Chromium',
    },
    tamper: { publicKey: publicKeyOf(connectKey), connectPublicKey: publicKeyOf(pairKey) },
  },
  {
    name: 'connect',
    kind: 'connect',
    keyLabel: 'device',
    input: { relayOrigin, nonce: 'nOnCe_-0123456789abcdefghijklmn', deviceId },
    tamper: { relayOrigin: 'https://127.0.0.1:8787' },
  },
  {
    name: 'decision-approve',
    kind: 'decision',
    keyLabel: 'pair',
    input: {
      relayOrigin,
      requestId: 'rEqUeSt0123456789abcdA',
      deviceId,
      decision: 'approve',
      number: '07',
      signedAt: 1_767_225_600_000,
      unlock: 'pin',
    },
    tamper: { number: '70' },
  },
  {
    name: 'decision-approve-webauthn',
    kind: 'decision',
    keyLabel: 'pair',
    input: {
      relayOrigin,
      requestId: 'rEqUeSt0123456789abcdA',
      deviceId,
      decision: 'approve',
      number: '07',
      signedAt: 1_767_225_600_000,
      unlock: 'webauthn',
    },
    tamper: { unlock: 'pin' },
  },
  {
    name: 'decision-deny',
    kind: 'decision',
    keyLabel: 'device',
    input: {
      relayOrigin,
      requestId: 'rEqUeSt0123456789abcdA',
      deviceId,
      decision: 'deny',
      number: '',
      signedAt: 1_767_225_601_234,
      unlock: 'none',
    },
    tamper: { decision: 'report' },
  },
  {
    name: 'decision-report',
    kind: 'decision',
    keyLabel: 'device',
    input: {
      relayOrigin,
      requestId: 'rEqUeSt0123456789abcdA',
      deviceId,
      decision: 'report',
      number: '',
      signedAt: 1_767_225_601_234,
      unlock: 'none',
    },
    tamper: { unlock: 'pin' },
  },
];

const vectors = cases.map((c) => {
  const secretKey = secretKeyFor(c.keyLabel);
  const bytes = build(c.kind, c.input);
  const low = p256.sign(bytes, secretKey);
  return {
    name: c.name,
    kind: c.kind,
    secretKey: hex(secretKey),
    publicKey: publicKeyOf(secretKey),
    input: c.input,
    statement: hex(bytes),
    signatures: { lowS: toBase64Url(low), highS: toBase64Url(highS(low)) },
  };
});

const negative = cases.flatMap((c, i) => {
  const vector = vectors[i]!;
  const tampered = hex(build(c.kind, { ...c.input, ...c.tamper }));
  const changed = Object.keys(c.tamper).join(', ');
  const other = vectors.find((candidate) => candidate.publicKey !== vector.publicKey)!;
  const flipped = fromBase64Url(vector.signatures.lowS);
  flipped[5]! ^= 0x01;
  return [
    { name: `${c.name}: ${changed} changed (low-S)`, publicKey: vector.publicKey, statement: tampered, signature: vector.signatures.lowS },
    {
      name: `${c.name}: ${changed} changed (high-S)`,
      publicKey: vector.publicKey,
      statement: tampered,
      signature: vector.signatures.highS,
    },
    {
      name: `${c.name}: verified with the account's other key`,
      publicKey: other.publicKey,
      statement: vector.statement,
      signature: vector.signatures.lowS,
    },
    { name: `${c.name}: one bit of r flipped`, publicKey: vector.publicKey, statement: vector.statement, signature: toBase64Url(flipped) },
  ];
});

const file = {
  about:
    'Known-answer vectors for PROTOCOL.md section 2 (ECDSA P-256 / SHA-256, 65-byte uncompressed keys, 64-byte r||s signatures, base64url). ' +
    "secretKey and statement are hex; lowS is noble's deterministic (RFC 6979) signature, highS the same r with s = n - s. " +
    'Every positive signature must verify; every negative one must not. Made by scripts/make-signature-vectors.ts.',
  curveOrder: N.toString(16),
  vectors,
  negative,
};

const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'signature-vectors.json');
writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors and ${negative.length} negative vectors to ${out}`);
