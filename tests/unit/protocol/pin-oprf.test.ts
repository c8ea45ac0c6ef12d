import { p256, p256_oprf } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../../protocol/encoding.ts';
import {
  blindPin,
  evaluateBlindedPin,
  finishPin,
  newOprfSecretKey,
  pinWrappingKey,
  unwrapWithPinKey,
  wrapWithPinKey,
} from '../../../protocol/pin-oprf.ts';
import { InvalidElement, oprfEvaluator } from '../../../relay-server/security/oprf-evaluate.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** RFC 9497 Appendix A.3.1 (P256-SHA256, OPRF mode): Seed a3…a3, KeyInfo "test key". */
const SEED = hex('a3'.repeat(32));
const KEY_INFO = hex('74657374206b6579');
const SK_SM = '159749d750713afe245d2d39ccfaae8381c53ce92d098a9375ee70739c7ac0bf';
const BLIND = '3338fa65ec36e0290022b48eb562889d89dbfa691d1cde91517fa222ed7ad364';
const VECTORS = [
  {
    input: '00',
    blinded: '03723a1e5c09b8b9c18d1dcbca29e8007e95f14f4732d9346d490ffc195110368d',
    evaluated: '030de02ffec47a1fd53efcdd1c6faf5bdc270912b8749e783c7ca75bb412958832',
    output: 'a0b34de5fa4c5b6da07e72af73cc507cceeb48981b97b7285fc375345fe495dd',
  },
  {
    input: '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
    blinded: '03cc1df781f1c2240a64d1c297b3f3d16262ef5d4cf102734882675c26231b0838',
    evaluated: '03a0395fe3828f2476ffcd1f4fe540e5a8489322d398be3c4e5a869db7fcb7c52c',
    output: 'c748ca6dd327f0ce85f4ae3a8cd6d4d5390bbb804c9e12dcf94f853fece3dcce',
  },
];

/** noble draws the blind as (48 random bytes mod (n-1)) + 1, so bytes of BLIND-1 give BLIND. */
const fixedBlind = () => hex((BigInt('0x' + BLIND) - 1n).toString(16).padStart(96, '0'));

describe('the PIN OPRF (RFC 9497, P256-SHA256, mode OPRF)', () => {
  it('derives the RFC key pair from its seed', () => {
    expect(toHex(p256_oprf.oprf.deriveKeyPair(SEED, KEY_INFO).secretKey)).toBe(SK_SM);
  });

  for (const [index, vector] of VECTORS.entries()) {
    it(`reproduces test vector ${index + 1} on the device side and both relay evaluations`, () => {
      const blinded = p256_oprf.oprf.blind(hex(vector.input), fixedBlind);
      expect(toHex(blinded.blinded)).toBe(vector.blinded);
      expect(toHex(blinded.blind)).toBe(BLIND);
      const element = toBase64Url(blinded.blinded);
      expect(toHex(fromBase64Url(evaluateBlindedPin(hex(SK_SM), element)))).toBe(vector.evaluated);
      expect(toHex(fromBase64Url(oprfEvaluator(hex(SK_SM)).evaluate(element)))).toBe(vector.evaluated);
      const output = p256_oprf.oprf.finalize(hex(vector.input), blinded.blind, hex(vector.evaluated));
      expect(toHex(output)).toBe(vector.output);
    });
  }

  it('gives the same output for the same PIN and key on every round trip, and another for another PIN', () => {
    const key = newOprfSecretKey();
    const evaluator = oprfEvaluator(key);
    const outputs = ['123456', '123456', '654321'].map((pin) => {
      const pending = blindPin(pin);
      return toHex(finishPin(pin, pending, evaluator.evaluate(pending.blinded)));
    });
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[2]).not.toBe(outputs[0]);
  });

  it('the OpenSSL evaluation matches noble on random keys and elements', () => {
    for (let round = 0; round < 64; round++) {
      const key = newOprfSecretKey();
      const { blinded } = blindPin(String(100_000 + round));
      expect(oprfEvaluator(key).evaluate(blinded)).toBe(evaluateBlindedPin(key, blinded));
    }
  });

  it('matches noble at the keys where the sign test cannot run: 1, 2, n − 2 and n − 1', () => {
    const n = p256.Point.Fn.ORDER;
    const scalar = (value: bigint) => Uint8Array.from(Buffer.from(value.toString(16).padStart(64, '0'), 'hex'));
    for (const k of [1n, 2n, n - 2n, n - 1n]) {
      for (let round = 0; round < 4; round++) {
        const { blinded } = blindPin(String(200_000 + round));
        expect(oprfEvaluator(scalar(k)).evaluate(blinded), `k = ${k}`).toBe(evaluateBlindedPin(scalar(k), blinded));
      }
    }
    // k = 1 gives B itself, k = n − 1 gives −B: the same x, the other sign.
    const flipped = (element: string) => {
      const bytes = fromBase64Url(element);
      bytes[0] = bytes[0] === 2 ? 3 : 2;
      return toBase64Url(bytes);
    };
    const { blinded } = blindPin('424242');
    for (const element of [blinded, flipped(blinded)]) {
      expect(oprfEvaluator(scalar(1n)).evaluate(element)).toBe(element);
      expect(oprfEvaluator(scalar(n - 1n)).evaluate(element)).toBe(flipped(element));
    }
  });

  it('refuses elements that are not points on the curve', () => {
    const evaluator = oprfEvaluator(newOprfSecretKey());
    const notOnCurve = toBase64Url(Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)]));
    const identityLike = toBase64Url(new Uint8Array(33));
    const uncompressedPrefix = toBase64Url(Uint8Array.from([4, ...new Uint8Array(32).fill(1)]));
    for (const element of [notOnCurve, identityLike, uncompressedPrefix, 'not base64!', '']) {
      expect(() => evaluator.evaluate(element)).toThrow(InvalidElement);
    }
  });

  it('wraps under HKDF of the output: the right PIN opens, a wrong PIN or another device id does not', async () => {
    const key = newOprfSecretKey();
    const evaluator = oprfEvaluator(key);
    const deviceId = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    const relayOrigin = 'http://127.0.0.1:8787';
    const wrapKey = async (pin: string, id = deviceId) => {
      const pending = blindPin(pin);
      return pinWrappingKey({ output: finishPin(pin, pending, evaluator.evaluate(pending.blinded)), deviceId: id, relayOrigin });
    };
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const wrapped = await wrapWithPinKey(await wrapKey('246810'), secret, deviceId);
    expect(await unwrapWithPinKey(await wrapKey('246810'), wrapped, deviceId)).toEqual(secret);
    expect(await unwrapWithPinKey(await wrapKey('246811'), wrapped, deviceId)).toBeNull();
    const otherId = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    expect(await unwrapWithPinKey(await wrapKey('246810', otherId), wrapped, deviceId)).toBeNull();
    expect(fromBase64Url(wrapped.iv)).toHaveLength(12);
  });
});
