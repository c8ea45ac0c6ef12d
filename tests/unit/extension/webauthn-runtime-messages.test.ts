import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { randomBytes, randomId, toBase64Url } from '../../../protocol/index.ts';
import { RuntimeRequest } from '../../../extension/lib/runtime-messages.ts';

/** The worker validates what pages send: biometric unlock's messages carry exactly 32-byte values. */
describe('RuntimeRequest for biometric unlock', () => {
  const prf = toBase64Url(randomBytes(32));
  const enable = {
    type: 'enableBiometric',
    credentialId: toBase64Url(randomBytes(32)),
    prfSalt: toBase64Url(randomBytes(32)),
    check: { iv: toBase64Url(randomBytes(12)), ciphertext: toBase64Url(randomBytes(41)) },
    wrappedKeys: { [randomId()]: { iv: toBase64Url(randomBytes(12)), ciphertext: toBase64Url(randomBytes(48)) } },
  };

  it('accepts setup, off, status, and an approve with a PRF output', () => {
    expect(v.safeParse(RuntimeRequest, enable).success).toBe(true);
    expect(v.safeParse(RuntimeRequest, { type: 'disableBiometric' }).success).toBe(true);
    expect(v.safeParse(RuntimeRequest, { type: 'getBiometric' }).success).toBe(true);
    expect(
      v.safeParse(RuntimeRequest, { type: 'decide', requestId: randomId(), decision: 'approve', number: '42', prf, remember: false })
        .success,
    ).toBe(true);
  });

  it('rejects a PRF output or salt that is not 32 bytes of base64url', () => {
    expect(
      v.safeParse(RuntimeRequest, {
        type: 'decide',
        requestId: randomId(),
        decision: 'approve',
        number: '42',
        prf: toBase64Url(randomBytes(31)),
        remember: false,
      }).success,
    ).toBe(false);
    expect(v.safeParse(RuntimeRequest, { ...enable, wrappedKeys: { 'not-an-id': enable.check } }).success).toBe(false);
    expect(v.safeParse(RuntimeRequest, { ...enable, prfSalt: `${prf}=` }).success).toBe(false);
    expect(
      v.safeParse(RuntimeRequest, {
        type: 'decide',
        requestId: randomId(),
        decision: 'approve',
        number: '42',
        prf: 'x'.repeat(44),
        remember: false,
      }).success,
    ).toBe(false);
  });

  it('rejects a credential id that is missing or not base64url', () => {
    const { credentialId: _omitted, ...missing } = enable;
    expect(v.safeParse(RuntimeRequest, missing).success).toBe(false);
    expect(v.safeParse(RuntimeRequest, { ...enable, credentialId: 'not/base64+url==' }).success).toBe(false);
  });
});
