// @ts-check
// One sign-in request at a time, from the username to its outcome: start it, wait for the
// authenticator, withdraw it, finish it. A newer request makes every callback of the older one a no-op.
import { bearer, offsetFrom, readJson, requestUrl } from './signin-api.js';
import { isMessageKey, tryAgainFrom } from './signin-messages.js';
import { watchOutcome } from './signin-outcome.js';

/** @typedef {import('./signin-api.js').Waiting} Waiting */
/** @typedef {import('./signin-api.js').CreateSigninResponse} CreateSigninResponse */
/** @typedef {import('./signin-api.js').SigninStatusResponse} SigninStatusResponse */
/** @typedef {import('./signin-api.js').ErrorBody} ErrorBody */
/** @typedef {import('../../../protocol/messages.ts').SigninStatus} SigninStatus */
/** @typedef {import('./signin-messages.js').SigninMessages} SigninMessages */
/** @typedef {import('./signin-messages.js').MessageKey} MessageKey */
/** @typedef {import('./signin-view.js').SigninView} SigninView */

/**
 * @param {HTMLElement} root the #signin element
 * @param {SigninView} view
 * @param {SigninMessages} messages
 */
export function signinFlow(root, view, messages) {
  const app = root.dataset.app || '';
  const returnTo = root.dataset.returnTo || '/me';
  /** Set when an app sent the person here: where a refusal tells the app (oidc/interaction-routes.tsx). */
  const appCancelUrl = root.dataset.appCancelUrl || '';

  /** @type {Waiting | null} */
  let current = null;
  let generation = 0;
  /** Who the last request was for: "Try again" and "Sign in with a code" reuse it. */
  let lastUpn = root.dataset.upn || '';
  let clockOffset = 0;

  function stopCurrent() {
    if (!current) return;
    clearInterval(current.timer);
    clearInterval(current.poller);
    if (current.events) current.events.close();
    current = null;
  }

  function tick() {
    if (!current) return;
    view.showCountdown(current.expiresAt - (Date.now() + clockOffset));
  }

  /**
   * Shows the number and listens for the outcome of one request.
   * @param {Pick<Waiting, 'requestId' | 'browserToken' | 'number' | 'expiresAt' | 'upn' | 'code'>} request
   */
  function wait(request) {
    stopCurrent();
    const id = ++generation;
    /** @type {Waiting} */
    const waiting = { ...request, id, timer: undefined, poller: undefined, events: null, settled: false, withdrawn: false };
    current = waiting;
    view.showWaiting(request);
    tick();
    waiting.timer = setInterval(tick, 250);
    watchOutcome(waiting, {
      isCurrent: () => current === waiting,
      onStatus: (status) => settle(waiting, status),
      onOffline: () => finish('error', 'network'),
    });
  }

  /** @param {Waiting} request @param {SigninStatusResponse} status */
  function settle(request, status) {
    if (current !== request || (request.settled && !request.withdrawn)) return;
    if (status.status === 'pending') return;
    request.settled = true;
    clearInterval(request.poller);
    if (status.status === 'approved') {
      view.showStatus('approved', 'approved');
      void complete(request);
      return;
    }
    const key = status.status === 'cancelled' && status.reason === 'superseded' ? 'superseded' : status.status;
    // An app is waiting (OpenID Connect): a refusal on the authenticator goes back to it as access_denied.
    if (appCancelUrl && (status.status === 'denied' || status.status === 'reported')) {
      finish(status.status, key);
      location.assign(`${appCancelUrl}?reason=denied`);
      return;
    }
    if (isMessageKey(messages, key)) finish(status.status, key);
    else finish('error', 'error');
  }

  /** @param {SigninStatus | 'error'} state @param {MessageKey} key @param {string} [detail] */
  function finish(state, key, detail) {
    if (current) {
      clearInterval(current.timer);
      clearInterval(current.poller);
      if (current.events) current.events.close();
    }
    view.showEnded(state, key, detail);
  }

  /** @param {Waiting} request */
  async function complete(request) {
    try {
      const response = await fetch(requestUrl(request, '/complete'), {
        method: 'POST',
        headers: bearer(request),
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(String(response.status));
      if (current === request) {
        clearInterval(request.timer);
        if (request.events) request.events.close();
      }
      location.assign(returnTo);
    } catch {
      if (current === request) finish('error', 'error');
    }
  }

  /**
   * Withdraws a request still waiting (docs/protocol.md section 5, `POST .../cancel`): its devices
   * get `cancel`, so nobody approves a sign-in that no page will finish. `keepalive` lets the call
   * outlive the page when the person is leaving it.
   * @param {Waiting | null} request
   * @param {{keepalive?: boolean}} [options]
   * @returns {Promise<SigninStatusResponse | undefined>} the relay's answer, if it withdrew it
   */
  async function withdraw(request, options = {}) {
    if (!request || request.settled) return undefined;
    request.settled = true;
    request.withdrawn = true;
    try {
      const response = await fetch(requestUrl(request, '/cancel'), {
        method: 'POST',
        headers: bearer(request),
        keepalive: options.keepalive === true,
      });
      // 409: it was decided meanwhile; the event stream tells the page how.
      if (response.ok) return /** @type {SigninStatusResponse} */ (await readJson(response));
    } catch {
      // Offline: the request expires by itself.
    }
    request.settled = false;
    return undefined;
  }

  /** @param {string} upn @param {'push' | 'code'} [by] a push, or a sign-in by code */
  async function start(upn, by = 'push') {
    lastUpn = upn;
    view.setPasswordLinks(upn);
    view.hideStatus();
    view.setStarting(true);
    let response;
    try {
      response = await fetch('/api/v1/signins', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ upn, ...(app ? { app } : {}), ...(by === 'code' ? { by } : {}) }),
      });
    } catch {
      view.setStarting(false);
      return showUpnError('network');
    }
    view.setStarting(false);
    /** @type {(CreateSigninResponse & {code?: string} & ErrorBody) | null} */
    let body = null;
    try {
      body = /** @type {CreateSigninResponse & {code?: string} & ErrorBody} */ (await readJson(response));
    } catch {
      body = null;
    }
    if (response.status === 201 && body) {
      clockOffset = offsetFrom(response);
      if (by === 'code' && body.code) return wait({ ...body, number: '', upn, code: body.code });
      return wait({ ...body, upn });
    }
    const error = body && body.error ? body.error : {};
    if (response.status === 422 || error.code === 'no_push_method') return showUpnError('no_push_method');
    // Pushes from unknown places are paused (signin/push-blocked.ts): a code still works, so offer it.
    if (response.status === 429 && (error.reason === 'push_blocked' || error.reason === 'paused')) {
      if (view.codeLink) view.codeLink.classList.add('emphasis');
      return showUpnError('paused', error.message);
    }
    if (response.status === 429)
      return showUpnError('rate_limited', `${messages.rate_limited[1]} ${tryAgainFrom(response)} Or use your password instead.`);
    if (response.status === 503) return showUpnError('unavailable', `${messages.unavailable[1]} ${tryAgainFrom(response)}`);
    return showUpnError('error', error.message);
  }

  /** Errors before a request exists: stay on the username step so it can be corrected. @param {MessageKey} key @param {string} [detail] */
  function showUpnError(key, detail) {
    stopCurrent();
    view.showUpnError(key, detail);
  }

  /** The username step, empty, with no request waiting. */
  function backToUpn() {
    stopCurrent();
    lastUpn = '';
    view.showEmptyUpn();
  }

  /** The password page rendered this page with a request it already made (push after password). */
  function resumeStarted() {
    const data = root.dataset;
    if (!data.requestId || !data.browserToken || !data.number) return false;
    clockOffset = Number(data.serverNow) ? Number(data.serverNow) - Date.now() : 0;
    if (Math.abs(clockOffset) <= 3000) clockOffset = 0;
    wait({
      requestId: data.requestId,
      browserToken: data.browserToken,
      number: data.number,
      expiresAt: Number(data.expiresAt),
      upn: data.upn || '',
    });
    return true;
  }

  return {
    /** The request the page waits on, if any. */
    current: () => current,
    lastUpn: () => lastUpn,
    start,
    settle,
    finish,
    withdraw,
    showUpnError,
    backToUpn,
    resumeStarted,
  };
}
