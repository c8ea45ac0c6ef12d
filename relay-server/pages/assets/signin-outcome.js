// @ts-check
// How the page learns the outcome of a request: its event stream, or a poll every 2 s when the
// stream is refused (429: too many open) or lost, so an approval is never missed (docs/protocol.md
// section 5). EventSource may also reconnect by itself.
import { bearer, parseJson, readJson, requestUrl } from './signin-api.js';

/** @typedef {import('./signin-api.js').Waiting} Waiting */
/** @typedef {import('./signin-api.js').SigninStatusResponse} SigninStatusResponse */

/** How often the page asks for the status when it has no stream. */
const POLL_MS = 2000;

/**
 * @typedef {object} OutcomeHandlers
 * @property {() => boolean} isCurrent whether the page still waits on this request
 * @property {(status: SigninStatusResponse) => void} onStatus
 * @property {() => void} onOffline a poll failed and the browser is offline
 */

/**
 * Opens the request's event stream, falling back to polling; the request keeps both so the page can stop them.
 * @param {Waiting} request @param {OutcomeHandlers} handlers
 */
export function watchOutcome(request, handlers) {
  const events = new EventSource(`${requestUrl(request, '/events')}?token=${encodeURIComponent(request.browserToken)}`);
  request.events = events;
  events.addEventListener('status', (event) => {
    if (!handlers.isCurrent()) return;
    /** @type {SigninStatusResponse} */
    let status;
    try {
      status = /** @type {SigninStatusResponse} */ (parseJson(/** @type {unknown} */ (event.data)));
    } catch {
      return;
    }
    if (status) handlers.onStatus(status);
  });
  events.onerror = () => {
    if (!handlers.isCurrent() || request.poller !== undefined) return;
    void pollOnce(request, handlers);
    request.poller = setInterval(() => void pollOnce(request, handlers), POLL_MS);
  };
}

/** @param {Waiting} request @param {OutcomeHandlers} handlers */
async function pollOnce(request, handlers) {
  if (!handlers.isCurrent() || request.settled) return;
  try {
    const response = await fetch(requestUrl(request), { headers: bearer(request) });
    // A busy relay or a lost connection: the next poll tries again.
    if (response.status === 429 || response.status >= 500) return;
    if (!response.ok) throw new Error(String(response.status));
    handlers.onStatus(/** @type {SigninStatusResponse} */ (await readJson(response)));
  } catch {
    if (handlers.isCurrent() && !navigator.onLine) handlers.onOffline();
  }
}
