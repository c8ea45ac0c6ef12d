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

export class SigninFlow {
  /**
   * @param {HTMLElement} root the #signin element
   * @param {SigninView} view
   * @param {SigninMessages} messages
   */
  constructor(root, view, messages) {
    this.root = root;
    this.view = view;
    this.messages = messages;
    this.app = root.dataset.app || '';
    this.returnTo = root.dataset.returnTo || '/me';
    /** Set when an app sent the person here: where a refusal tells the app (oidc/interaction-routes.tsx). */
    this.appCancelUrl = root.dataset.appCancelUrl || '';
    /** The request the page waits on, if any. @type {Waiting | null} */
    this.current = null;
    this.generation = 0;
    /** Who the last request was for: "Try again" and "Sign in with a code" reuse it. */
    this.lastUpn = root.dataset.upn || '';
    this.clockOffset = 0;
  }

  stopCurrent() {
    const current = this.current;
    if (!current) return;
    clearInterval(current.timer);
    clearInterval(current.poller);
    if (current.events) current.events.close();
    this.current = null;
  }

  tick() {
    if (!this.current) return;
    this.view.showCountdown(this.current.expiresAt - (Date.now() + this.clockOffset));
  }

  /**
   * Shows the number and listens for the outcome of one request.
   * @param {Pick<Waiting, 'requestId' | 'browserToken' | 'number' | 'expiresAt' | 'upn' | 'code'>} request
   */
  wait(request) {
    this.stopCurrent();
    const id = ++this.generation;
    /** @type {Waiting} */
    const waiting = { ...request, id, timer: undefined, poller: undefined, events: null, settled: false, withdrawn: false };
    this.current = waiting;
    this.view.showWaiting(request);
    this.tick();
    waiting.timer = setInterval(() => this.tick(), 250);
    watchOutcome(waiting, {
      isCurrent: () => this.current === waiting,
      onStatus: (status) => this.settle(waiting, status),
      onOffline: () => this.finish('error', 'network'),
    });
  }

  /** @param {Waiting} request @param {SigninStatusResponse} status */
  settle(request, status) {
    if (this.current !== request || (request.settled && !request.withdrawn)) return;
    if (status.status === 'pending') return;
    request.settled = true;
    clearInterval(request.poller);
    if (status.status === 'approved') {
      this.view.showStatus('approved', 'approved');
      void this.complete(request);
      return;
    }
    const key = status.status === 'cancelled' && status.reason === 'superseded' ? 'superseded' : status.status;
    // An app is waiting (OpenID Connect): a refusal on the authenticator goes back to it as access_denied.
    if (this.appCancelUrl && (status.status === 'denied' || status.status === 'reported')) {
      this.finish(status.status, key);
      location.assign(`${this.appCancelUrl}?reason=denied`);
      return;
    }
    if (isMessageKey(this.messages, key)) this.finish(status.status, key);
    else this.finish('error', 'error');
  }

  /** @param {SigninStatus | 'error'} state @param {MessageKey} key @param {string} [detail] */
  finish(state, key, detail) {
    const current = this.current;
    if (current) {
      clearInterval(current.timer);
      clearInterval(current.poller);
      if (current.events) current.events.close();
    }
    this.view.showEnded(state, key, detail);
  }

  /** @param {Waiting} request */
  async complete(request) {
    try {
      const response = await fetch(requestUrl(request, '/complete'), {
        method: 'POST',
        headers: bearer(request),
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(String(response.status));
      if (this.current === request) {
        clearInterval(request.timer);
        if (request.events) request.events.close();
      }
      location.assign(this.returnTo);
    } catch {
      if (this.current === request) this.finish('error', 'error');
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
  async withdraw(request, options = {}) {
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
  async start(upn, by = 'push') {
    this.lastUpn = upn;
    this.view.setPasswordLinks(upn);
    this.view.hideStatus();
    this.view.setStarting(true);
    let response;
    try {
      response = await fetch('/api/v1/signins', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ upn, ...(this.app ? { app: this.app } : {}), ...(by === 'code' ? { by } : {}) }),
      });
    } catch {
      this.view.setStarting(false);
      return this.showUpnError('network');
    }
    this.view.setStarting(false);
    /** @type {(CreateSigninResponse & {code?: string} & ErrorBody) | null} */
    let body = null;
    try {
      body = /** @type {CreateSigninResponse & {code?: string} & ErrorBody} */ (await readJson(response));
    } catch {
      body = null;
    }
    if (response.status === 201 && body) {
      this.clockOffset = offsetFrom(response);
      if (by === 'code' && body.code) return this.wait({ ...body, number: '', upn, code: body.code });
      return this.wait({ ...body, upn });
    }
    return this.refused(response, body && body.error ? body.error : {});
  }

  /** A request the relay would not make: say why, on the username step. @param {Response} response @param {NonNullable<ErrorBody['error']>} error */
  refused(response, error) {
    if (response.status === 422 || error.code === 'no_push_method') return this.showUpnError('no_push_method');
    // Pushes from unknown places are paused (signin/push-blocked.ts): a code still works, so offer it.
    if (response.status === 429 && (error.reason === 'push_blocked' || error.reason === 'paused')) {
      if (this.view.codeLink) this.view.codeLink.classList.add('emphasis');
      return this.showUpnError('paused', error.message);
    }
    if (response.status === 429)
      return this.showUpnError('rate_limited', `${this.messages.rate_limited[1]} ${tryAgainFrom(response)} Or use your password instead.`);
    if (response.status === 503) return this.showUpnError('unavailable', `${this.messages.unavailable[1]} ${tryAgainFrom(response)}`);
    return this.showUpnError('error', error.message);
  }

  /** Errors before a request exists: stay on the username step so it can be corrected. @param {MessageKey} key @param {string} [detail] */
  showUpnError(key, detail) {
    this.stopCurrent();
    this.view.showUpnError(key, detail);
  }

  /** The username step, empty, with no request waiting. */
  backToUpn() {
    this.stopCurrent();
    this.lastUpn = '';
    this.view.showEmptyUpn();
  }

  /** The password page rendered this page with a request it already made (push after password). */
  resumeStarted() {
    const data = this.root.dataset;
    if (!data.requestId || !data.browserToken || !data.number) return false;
    this.clockOffset = Number(data.serverNow) ? Number(data.serverNow) - Date.now() : 0;
    if (Math.abs(this.clockOffset) <= 3000) this.clockOffset = 0;
    this.wait({
      requestId: data.requestId,
      browserToken: data.browserToken,
      number: data.number,
      expiresAt: Number(data.expiresAt),
      upn: data.upn || '',
    });
    return true;
  }
}
