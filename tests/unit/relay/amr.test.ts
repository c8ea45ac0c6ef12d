import { describe, expect, it } from 'vitest';
import { amrFor } from '../../../relay-server/signin/amr.ts';

describe('amrFor() (docs/protocol.md section 5)', () => {
  it.each([
    ['passwordless', 'pin', ['swk', 'pin', 'mfa']],
    ['passwordless', 'webauthn', ['swk', 'hwk', 'mfa']],
    ['push_after_password', 'pin', ['pwd', 'swk', 'pin', 'mfa']],
    ['push_after_password', 'webauthn', ['pwd', 'swk', 'hwk', 'mfa']],
    ['password', null, ['pwd']],
    ['tap', null, ['otp']],
  ] as const)('gives %s unlocked with %s %j', (method, unlock, amr) => {
    expect(amrFor(method, unlock)).toEqual(amr);
  });

  it('claims no unlock for an approval that recorded none (approved before revision 2)', () => {
    expect(amrFor('passwordless', null)).toEqual(['swk', 'mfa']);
    expect(amrFor('push_after_password', null)).toEqual(['pwd', 'swk', 'mfa']);
  });

  it('never claims pin or hwk for a refusal key unlock', () => {
    expect(amrFor('passwordless', 'none')).toEqual(['swk', 'mfa']);
  });
});
