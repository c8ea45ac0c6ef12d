import type { SigninMethod } from '../store/schema.ts';

/** Authentication method references (RFC 8176) for each way of signing in. */
export function amrFor(method: SigninMethod): string[] {
  switch (method) {
    case 'passwordless':
      return ['swk', 'pin', 'mfa'];
    case 'push_after_password':
      return ['pwd', 'swk', 'mfa'];
    case 'password':
      return ['pwd'];
    case 'tap':
      return ['otp'];
  }
}
