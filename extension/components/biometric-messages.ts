import { failureText } from './pin-messages.ts';

/** Human wording for biometric unlock's failure codes; any other code is worded by `failureText`. */
export function biometricFailureText(code: string, retryAt: number | undefined, now: number, attemptsLeft?: number | null): string {
  switch (code) {
    case 'webauthn_unavailable':
      return 'This browser cannot use Windows Hello, Touch ID or a security key here. Use your PIN.';
    case 'webauthn_cancelled':
      return 'The check with Windows Hello, Touch ID or your security key was cancelled or timed out. Nothing was signed; try again or use your PIN.';
    case 'prf_unsupported':
      return 'This browser or authenticator cannot derive an unlock key (the WebAuthn PRF extension), so biometric unlock is not available here. Your PIN keeps working.';
    case 'webauthn_failed':
      return 'Windows Hello, Touch ID or your security key did not answer. Try again or use your PIN.';
    case 'biometric_off':
      return 'Biometric unlock is off. Use your PIN.';
    case 'biometric_not_covered':
      return 'This account was added after biometric unlock was set up. Use your PIN, then include it in Settings.';
    case 'biometric_mismatch':
      return 'That is not the credential biometric unlock was set up with. Nothing was signed; use your PIN.';
    case 'invalid_prf':
      return 'The authenticator gave an answer that cannot unlock. Nothing was signed; use your PIN.';
    default:
      return failureText(code, retryAt, now, attemptsLeft);
  }
}
