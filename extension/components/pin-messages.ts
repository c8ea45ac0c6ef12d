import { formatSeconds } from './use-now.ts';

/**
 * Human wording for the worker's failure codes: what happened and what to do. The codes stay
 * stable (pages put them in `data-code` for tests); the words may change, and never show a code.
 */
export function failureText(code: string, retryAt: number | undefined, now: number): string {
  switch (code) {
    case 'wrong_pin':
      return retryAt && retryAt > now
        ? `Wrong PIN. Too many tries: wait ${formatSeconds(retryAt - now)} before the next one.`
        : 'Wrong PIN. Nothing was signed.';
    case 'locked':
      // Never "0 s": once the wait is over, say so.
      return retryAt && retryAt > now
        ? `Too many wrong PINs. Try again in ${formatSeconds(retryAt - now)}.`
        : 'You can enter your PIN again now.';
    case 'pin_required':
      return 'Enter your PIN to approve. Nothing was signed.';
    case 'invalid_pin':
      return 'The PIN must be at least 6 digits.';
    case 'already_set':
      return 'A PIN is already set. Change it in Settings.';
    case 'invalid_number':
      return 'Enter the number shown on the sign-in page.';
    case 'unlock_required':
      return 'Approving needs your PIN. Nothing was signed.';
    case 'invalid_link':
      return 'That is not a Countersign pairing link. Copy the whole link from your security info page, or scan its QR code.';
    case 'insecure_relay':
      return 'This link points to a relay without a secure (https) connection, so it was not added: your keys and approvals would cross the network unprotected. Ask your administrator for an https link.';
    case 'relay_unreachable':
      return 'Could not reach the relay. Check the link and your connection, then try again.';
    case 'pairing_expired':
      return 'This pairing link has expired. Ask for a new one on your security info page.';
    case 'pairing_used':
      return 'This pairing link was already used. Ask for a new one on your security info page.';
    case 'bad_signature':
    case 'invalid_request':
    case 'bad_response':
      return 'The relay did not accept this authenticator. It may need an update: ask your administrator, then try again with a new link.';
    case 'rate_limited':
      return 'The relay is busy or has had too many attempts. Wait a minute and try again.';
    case 'offline':
      return 'Not connected to the relay right now. Check your connection and try again in a moment.';
    case 'no_answer':
      return 'The relay did not confirm your answer in time. Check the sign-in page; start again if it is still waiting.';
    case 'not_pending':
      return 'This request is no longer waiting for an answer.';
    case 'unknown_account':
      return 'This account is no longer on this authenticator.';
    case 'needs_re_add':
      return 'This account must be added again before it can approve. Open it in the list of accounts.';
    case 'not_removable':
      return 'This account is in use. To stop using this browser for it, remove the authenticator on your security info page.';
    case 'no_lock':
      return 'Set a PIN first.';
    default:
      return 'Something went wrong. Try again; if it keeps happening, ask your administrator.';
  }
}
