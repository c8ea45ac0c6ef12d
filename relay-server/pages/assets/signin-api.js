// @ts-check
// The sign-in page's side of the JSON API (docs/protocol.md section 5): the request it waits on,
// where that request lives, and how the relay's answers are read.

/** @typedef {import('../../../protocol/messages.ts').CreateSigninResponse} CreateSigninResponse */
/** @typedef {import('../../../protocol/messages.ts').SigninStatusResponse} SigninStatusResponse */
/** @typedef {{error?: {code?: string, message?: string, reason?: string}}} ErrorBody */

/**
 * The one request the page waits on.
 * @typedef {object} Waiting
 * @property {string} requestId
 * @property {string} browserToken
 * @property {string} number
 * @property {number} expiresAt
 * @property {string} upn
 * @property {number} id which `wait` call made it: callbacks of an older one do nothing
 * @property {ReturnType<typeof setInterval> | undefined} timer
 * @property {EventSource | null} events
 * @property {ReturnType<typeof setInterval> | undefined} poller polls the status every 2 s when the stream is refused or lost
 * @property {string} [code] a sign-in by code: the code the person types into their authenticator
 * @property {boolean} settled the relay has said how it ended (or the page asked to withdraw it)
 * @property {boolean} withdrawn the page asked the relay to cancel it
 */

// The relay's JSON is read as `unknown` and named by a cast where its shape is the protocol's.
/** @param {Response} response @returns {Promise<unknown>} */
export const readJson = (response) => response.json();
/** @param {unknown} data @returns {unknown} */
export const parseJson = (data) => (typeof data === 'string' ? JSON.parse(data) : null);

/** @param {Waiting} request @param {string} path */
export const requestUrl = (request, path = '') => `/api/v1/signins/${encodeURIComponent(request.requestId)}${path}`;
/** @param {Waiting} request */
export const bearer = (request) => ({ Authorization: `Bearer ${request.browserToken}` });

/** How far the relay's clock is from this one, when it is more than 3 s. @param {Response} response */
export function offsetFrom(response) {
  const date = Date.parse(response.headers.get('date') || '');
  if (Number.isNaN(date)) return 0;
  const offset = date - Date.now();
  return Math.abs(offset) > 3000 ? offset : 0;
}
