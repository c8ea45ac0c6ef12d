/**
 * Issue 9: a second authenticator is added only from a session that one of the user's
 * authenticators approved (`swk`) or a Temporary Access Pass started (`otp`); a password alone
 * would let whoever knows it bind their own device. The first authenticator needs no approval.
 *
 * @example mayAddAuthenticator(['pwd'], 1) // false: approve on the one you have first
 */
export function mayAddAuthenticator(amr: readonly string[], activeDevices: number): boolean {
  return activeDevices === 0 || amr.includes('swk') || amr.includes('otp');
}
