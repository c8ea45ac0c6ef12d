/**
 * Why a sign-in ended as it did: the `reason` codes of the sign-in log (docs/protocol.md section
 * 7) and their words. The one list the admin pages, the admin API's `reasonText` and the CSV
 * export read, so the three never tell an administrator different stories.
 */

/**
 * A request refused before anything reached an authenticator, one code per cause (section 5):
 * - `push_blocked`: "It wasn't me" paused requests from unknown places until an administrator clears it;
 * - `client_locked`: this client sent too many requests that were denied or went unanswered;
 * - `push_budget`: this client spent the user's push budget for 10 minutes;
 * - `password_throttled`: too many password (or pass) attempts from this client or for this name;
 * - `unfamiliar_cap`: the caps on requests from unknown places (per hour, or waiting at once).
 */
export const REFUSAL_REASONS = ['push_blocked', 'client_locked', 'push_budget', 'password_throttled', 'unfamiliar_cap'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Every reason the relay writes, in words for an administrator. */
export const SIGNIN_REASON_WORDS: Readonly<Record<string, string>> = Object.freeze({
  push_blocked: 'Refused: requests from unknown places are paused after "It wasn\'t me" until an administrator clears it',
  client_locked: 'Refused: too many denied or unanswered requests from this browser or network (locked for a while)',
  push_budget: 'Refused: push budget for 10 minutes spent from this browser or network',
  password_throttled: 'Refused: too many password attempts (throttled for a while)',
  unfamiliar_cap: 'Refused: too many requests from unknown places for this account (cap reached)',
  // Rows written before the causes above were told apart.
  rate_limited: 'Too many attempts: refused for a while',
  invalid_credentials: 'Wrong password',
  superseded: 'Replaced by a newer request',
  expired: 'Not answered in time',
  cancelled: 'Cancelled in the browser',
  wrong_number: 'The number entered did not match',
  denied: 'Denied on the authenticator',
  reported: 'Reported on the authenticator as not theirs',
  pin_failure: 'Wrong PIN, or a PIN attempt never confirmed',
  pin_locked: 'PIN locked after 10 failures: add the authenticator again',
});

/** A code nobody has described yet still reads as words ("some_code" → "Some code"), never as a raw code. */
export function codeAsWords(code: string): string {
  const text = code.replaceAll('_', ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A sign-in log reason in words, or null when there is none.
 *
 * @example signinReasonWords('push_blocked') // 'Refused: requests from unknown places are paused after …'
 */
export function signinReasonWords(reason: string | null | undefined): string | null {
  if (reason === null || reason === undefined || reason === '') return null;
  return Object.hasOwn(SIGNIN_REASON_WORDS, reason) ? SIGNIN_REASON_WORDS[reason]! : codeAsWords(reason);
}
