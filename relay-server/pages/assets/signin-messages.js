// @ts-check
// What the sign-in page says in each state. The relay's own words about paused requests
// (signin/push-blocked.ts) come from the page's data attributes, so they are written once.

/**
 * Title and detail of each state the page can show.
 * @param {DOMStringMap} data the #signin element's dataset: `whatWorks`, `pausedDetail`
 */
export function signinMessages(data) {
  const whatWorks = data.whatWorks || '';
  return /** @satisfies {Record<string, [string, string]>} */ ({
    pending: ['Waiting for your approval…', 'We sent a sign-in request to your authenticator.'],
    code_pending: [
      'Waiting for your approval…',
      'In your authenticator, choose “Enter a code”, type this code, then approve with your PIN or security key.',
    ],
    paused: ['Requests from unknown places are paused', whatWorks],
    approved: ['Request approved', 'Signing you in…'],
    denied: ['Sign-in request denied', 'The request was denied in your authenticator. If this was a mistake, try again.'],
    // Whoever reads this may be a stranger: say what works, never why (section 5).
    reported: ['Sign-in request not approved', data.pausedDetail || ''],
    wrong_number: [
      "The numbers didn't match",
      'The number entered in your authenticator was not the one shown here. Try again and use the number on this page.',
    ],
    expired: ['The request timed out', "We didn't get an answer from your authenticator in time."],
    cancelled: ['Sign-in request cancelled', 'You cancelled this sign-in request.'],
    left: [
      'Sign-in request withdrawn',
      'You left this page, so the request was withdrawn from your authenticator. Try again to get a new number.',
    ],
    superseded: ['Request replaced', 'A newer sign-in request for this account replaced this one.'],
    error: ['Something went wrong', 'The sign-in request could not be completed. Try again.'],
    no_push_method: [
      'No authenticator is set up for this account',
      'Phone sign-in is not available for this account. Use your password instead, or ask your administrator.',
    ],
    push_blocked: ['Requests from unknown places are paused', whatWorks],
    rate_limited: ['Too many sign-in requests', 'Phone sign-in is paused for this account for now.'],
    unavailable: ['The sign-in service is busy', 'It could not take a sign-in request just now.'],
    network: ['Could not reach the sign-in service', 'Check your connection and try again.'],
  });
}

/** @typedef {ReturnType<typeof signinMessages>} SigninMessages */
/** @typedef {keyof SigninMessages} MessageKey */

/** @param {SigninMessages} messages @param {string} key @returns {key is MessageKey} */
export const isMessageKey = (messages, key) => Object.hasOwn(messages, key);

/** "Try again in 3 minutes." from Retry-After, in the words of the relay's own messages (api-error.ts). @param {Response} response */
export function tryAgainFrom(response) {
  const seconds = Number(response.headers.get('retry-after'));
  if (!Number.isFinite(seconds) || seconds <= 0) return 'Try again in a few minutes.';
  const whole = Math.ceil(seconds);
  if (whole < 60) return `Try again in ${whole} second${whole === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(whole / 60);
  if (minutes < 120) return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  return `Try again in ${Math.ceil(minutes / 60)} hours.`;
}
