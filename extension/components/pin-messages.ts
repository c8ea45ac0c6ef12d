import { PIN_RULE_TEXT } from '../../protocol/pin-rule.ts';
import { formatSeconds } from './use-now.ts';

/**
 * Human wording for the worker's failure codes: what happened and what to do. The codes stay
 * stable (pages put them in `data-code` for tests); the words may change, and never show a code.
 */
export function failureText(code: string, retryAt: number | undefined, now: number, attemptsLeft?: number | null): string {
  switch (code) {
    case 'wrong_pin':
      return `Wrong PIN. Nothing was signed.${attemptsText(attemptsLeft)}`;
    case 'pin_locked':
      return 'Too many wrong PINs were entered for this account, so its relay no longer accepts the PIN. Nothing was signed. Add the account again from your security info page.';
    case 'pin_attempts':
      return 'Other PIN attempts for this account are still waiting for an answer. Nothing was signed; wait a minute and try again.';
    case 'proof_not_sent':
      return 'The connection to the relay dropped while your PIN was checked. Nothing was signed; try again.';
    case 'timeout':
      return 'The relay did not answer in time. Nothing was signed; check your connection and try again.';
    case 'not_accepted':
      return 'The relay does not accept this authenticator for this account any more. Open your security info page and add it again.';
    case 'bad_evaluation':
      return 'The relay gave an answer that cannot unlock your key. Nothing was signed; try again, and tell your administrator if it keeps happening.';
    case 'pairing_unconfirmed':
      return 'The account could not be checked with your PIN, so it was not added. Ask for a new pairing link on your security info page and try again.';
    case 'upgrade_first':
      return 'Approve one sign-in with each account marked “Approve once to finish the security upgrade” first, then change your PIN.';
    case 'no_accounts':
      return 'There is no account whose PIN can be changed.';
    case 'relays_unreachable':
      return 'Changing the PIN needs every relay. Some cannot be reached now; nothing was changed. Try again when they are back.';
    case 'locked':
      // Never "0 s": once the wait is over, say so.
      return retryAt && retryAt > now
        ? `Too many wrong PINs. Try again in ${formatSeconds(retryAt - now)}.`
        : 'You can enter your PIN again now.';
    case 'pin_required':
      return 'Enter your PIN to approve. Nothing was signed.';
    case 'invalid_pin':
      return PIN_RULE_TEXT;
    case 'pin_mismatch':
      return 'The two PINs differ. Type the same PIN twice.';
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
    case 'unavailable':
      return 'The relay cannot reach its database right now, so nothing was approved or denied. Try again in a moment; the sign-in is still waiting.';
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
    default:
      return 'Something went wrong. Try again; if it keeps happening, ask your administrator.';
  }
}

/** What the relay said is left after a wrong PIN, with a plain warning near the end. */
function attemptsText(attemptsLeft: number | null | undefined): string {
  if (attemptsLeft === null || attemptsLeft === undefined) return '';
  if (attemptsLeft <= 0) return ' No attempts are left: this account must be added again.';
  const attempts = attemptsLeft === 1 ? '1 attempt' : `${attemptsLeft} attempts`;
  if (attemptsLeft <= 3) return ` ${attempts} left before this account must be added again.`;
  return ` ${attempts} left.`;
}
