import type { SigninMethod } from '../store/schema.ts';

/**
 * Authentication method references (RFC 8176) for each way of signing in, docs/protocol.md section 5:
 * a password gives `pwd`, a Temporary Access Pass `otp`; an approval adds `swk` (the device's
 * key), `mfa`, and how the device released its approval key: `pin` or `hwk` (WebAuthn).
 *
 * @example amrFor('passwordless', 'pin') // ['swk', 'pin', 'mfa']
 * @example amrFor('push_after_password', 'webauthn') // ['pwd', 'swk', 'hwk', 'mfa']
 */
export function amrFor(method: SigninMethod, unlock: string | null): string[] {
  switch (method) {
    case 'passwordless':
      return ['swk', ...unlockAmr(unlock), 'mfa'];
    case 'push_after_password':
      return ['pwd', 'swk', ...unlockAmr(unlock), 'mfa'];
    case 'password':
      return ['pwd'];
    case 'tap':
      return ['otp'];
    case 'pin_unlock':
      // A PIN failure's log row (section 4a): never a session.
      return [];
  }
}

/** An approval is signed with the approval key, released by a PIN or by WebAuthn. */
function unlockAmr(unlock: string | null): string[] {
  if (unlock === 'pin') return ['pin'];
  if (unlock === 'webauthn') return ['hwk'];
  // Approved before revision 2 recorded the unlock: the approval is all that is known.
  return [];
}
