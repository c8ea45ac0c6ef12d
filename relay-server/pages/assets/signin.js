// @ts-check
// The sign-in page's script: username → push request → big number and countdown → outcome.
// Plain browser JavaScript served from /assets (the CSP allows no inline script). It drives the
// JSON API of docs/protocol.md section 5; the page works without it through the password form.

/** @typedef {import('../../../protocol/messages.ts').CreateSigninResponse} CreateSigninResponse */
/** @typedef {import('../../../protocol/messages.ts').SigninStatus} SigninStatus */
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

(() => {
  'use strict';
  const found = document.getElementById('signin');
  if (!found) return;
  const root = found;

  /** @param {string} id */
  const $ = (id) => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`sign-in page without #${id}`);
    return element;
  };
  /** @param {string} testId */
  const byTestId = (testId) => {
    const element = document.querySelector(`[data-testid="${testId}"]`);
    if (!(element instanceof HTMLElement)) throw new Error(`sign-in page without ${testId}`);
    return element;
  };
  const form = document.querySelector('[data-testid="upn-form"]');
  const upnInput = form ? form.querySelector('input[name="upn"]') : null;
  const nextButton = form ? form.querySelector('button[type="submit"]') : null;
  const stepUpn = $('step-upn');
  const stepWait = $('step-wait');
  const waitUpn = $('wait-upn');
  const matchBlock = $('match');
  const waitTitle = $('wait-title');
  const instruction = $('instruction');
  const numberEl = byTestId('match-number');
  const codeBlock = $('code-block');
  const codeEl = $('signin-code');
  const codeLink = document.getElementById('code-link');
  const countdownEl = byTestId('countdown');
  const statusEl = byTestId('signin-status');
  const statusTitle = $('status-title');
  const statusDetail = $('status-detail');
  const cancelButton = /** @type {HTMLButtonElement} */ ($('cancel-button'));
  const retryButton = /** @type {HTMLButtonElement} */ ($('retry-button'));
  const changeUser = document.getElementById('change-user');
  const passwordLinks = document.querySelectorAll('a[data-password-link]');

  const app = root.dataset.app || '';
  const chooseMode = root.dataset.matchMode === 'choose';
  const returnTo = root.dataset.returnTo || '/me';
  /** Set when an app sent the person here: where a refusal tells the app (oidc/interaction-routes.tsx). */
  const appCancelUrl = root.dataset.appCancelUrl || '';
  // Adding an authenticator after a password sign-in reuses this page with its own words.
  const waitTitleText = root.dataset.waitTitle || 'Approve sign-in request';
  const failedTitleText = root.dataset.failedTitle || "We couldn't sign you in";

  /** Title and detail of each state the page can show. */
  const MESSAGES = /** @satisfies {Record<string, [string, string]>} */ ({
    pending: ['Waiting for your approval…', 'We sent a sign-in request to your authenticator.'],
    code_pending: [
      'Waiting for your approval…',
      'In your authenticator, choose “Enter a code”, type this code, then approve with your PIN or security key.',
    ],
    paused: [
      'Requests from unknown places are paused',
      'Sign in from a browser you used before, sign in with a code, or ask your administrator for a Temporary Access Pass.',
    ],
    approved: ['Request approved', 'Signing you in…'],
    denied: ['Sign-in request denied', 'The request was denied in your authenticator. If this was a mistake, try again.'],
    // Whoever reads this may be a stranger: say what works, never why (section 5).
    reported: [
      'Sign-in request not approved',
      'Requests from unknown places are paused for this account. Sign in from a browser you used before, ' +
        'sign in with a code, or ask your administrator for a Temporary Access Pass.',
    ],
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
    push_blocked: [
      'Requests from unknown places are paused',
      'Sign in from a browser you used before, sign in with a code, or ask your administrator for a Temporary Access Pass.',
    ],
    rate_limited: ['Too many sign-in requests', 'Phone sign-in is paused for this account for now.'],
    unavailable: ['The sign-in service is busy', 'It could not take a sign-in request just now.'],
    network: ['Could not reach the sign-in service', 'Check your connection and try again.'],
  });
  /** @typedef {keyof typeof MESSAGES} MessageKey */
  /** @param {string} key @returns {key is MessageKey} */
  const isMessageKey = (key) => Object.hasOwn(MESSAGES, key);

  /** One sign-in request at a time; a newer one makes every callback of the older one a no-op. */
  /** @type {Waiting | null} */
  let current = null;
  let generation = 0;
  let lastUpn = root.dataset.upn || '';
  let clockOffset = 0;

  /** @param {string} upn */
  function setPasswordLinks(upn) {
    passwordLinks.forEach((link) => {
      const url = new URL(link.getAttribute('href') || '/signin/password', location.href);
      if (upn) url.searchParams.set('upn', upn);
      else url.searchParams.delete('upn');
      if (app) url.searchParams.set('app', app);
      link.setAttribute('href', url.pathname + url.search);
    });
  }

  /**
   * @param {SigninStatus | 'error'} state what data-state says
   * @param {MessageKey} messageKey which MESSAGES entry to show
   * @param {string} [detailOverride]
   */
  function showStatus(state, messageKey, detailOverride) {
    const [title, detail] = MESSAGES[messageKey];
    statusEl.hidden = false;
    statusEl.dataset.state = state;
    if (messageKey !== state) statusEl.dataset.code = messageKey;
    else delete statusEl.dataset.code;
    statusTitle.textContent = title;
    statusDetail.textContent = detailOverride || detail;
    const final = state !== 'pending';
    cancelButton.hidden = final;
    // After a report every new request is refused until an administrator unblocks: no dead-end button.
    retryButton.hidden = !final || state === 'approved' || state === 'reported';
  }

  function hideStatus() {
    statusEl.hidden = true;
    statusEl.dataset.state = '';
    delete statusEl.dataset.code;
    cancelButton.hidden = true;
    retryButton.hidden = true;
  }

  function stopCurrent() {
    if (!current) return;
    clearInterval(current.timer);
    clearInterval(current.poller);
    if (current.events) current.events.close();
    current = null;
  }

  /** Like the extension's formatSeconds (extension/components/use-now.ts): "30 s", "1:45". @param {number} ms */
  function formatSeconds(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(seconds / 60);
    return minutes > 0 ? `${minutes}:${String(seconds % 60).padStart(2, '0')}` : `${seconds} s`;
  }

  /** "Try again in 3 minutes." from Retry-After, in the words of the relay's own messages (api-error.ts). @param {Response} response */
  function tryAgainFrom(response) {
    const seconds = Number(response.headers.get('retry-after'));
    if (!Number.isFinite(seconds) || seconds <= 0) return 'Try again in a few minutes.';
    const whole = Math.ceil(seconds);
    if (whole < 60) return `Try again in ${whole} second${whole === 1 ? '' : 's'}.`;
    const minutes = Math.ceil(whole / 60);
    if (minutes < 120) return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    return `Try again in ${Math.ceil(minutes / 60)} hours.`;
  }

  function tick() {
    if (!current) return;
    const remaining = current.expiresAt - (Date.now() + clockOffset);
    if (remaining > 0) {
      countdownEl.textContent = `Expires in ${formatSeconds(remaining)}`;
      countdownEl.classList.toggle('urgent', remaining <= 15_000);
    } else {
      countdownEl.textContent = 'Expiring…';
    }
  }

  /** @param {Response} response */
  function offsetFrom(response) {
    const date = Date.parse(response.headers.get('date') || '');
    if (Number.isNaN(date)) return 0;
    const offset = date - Date.now();
    return Math.abs(offset) > 3000 ? offset : 0;
  }

  // The relay's JSON is read as `unknown` and named by a cast where its shape is the protocol's.
  /** @param {Response} response @returns {Promise<unknown>} */
  const readJson = (response) => response.json();
  /** @param {unknown} data @returns {unknown} */
  const parseJson = (data) => (typeof data === 'string' ? JSON.parse(data) : null);

  /** @param {Waiting} request @param {string} path */
  const requestUrl = (request, path = '') => `/api/v1/signins/${encodeURIComponent(request.requestId)}${path}`;
  /** @param {Waiting} request */
  const bearer = (request) => ({ Authorization: `Bearer ${request.browserToken}` });

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
    // The id is no secret (the browser token is); tests and support staff match it with the device.
    root.dataset.requestId = request.requestId;
    stepUpn.hidden = true;
    stepWait.hidden = false;
    if (changeUser) changeUser.hidden = false;
    const byCode = request.code !== undefined;
    matchBlock.hidden = byCode;
    codeBlock.hidden = !byCode;
    countdownEl.hidden = false;
    instruction.hidden = byCode;
    waitTitle.textContent = byCode ? 'Type this code into your authenticator' : waitTitleText;
    waitUpn.textContent = request.upn;
    numberEl.textContent = request.number;
    numberEl.setAttribute('aria-label', `Number to ${chooseMode ? 'choose' : 'enter'}: ${request.number.split('').join(' ')}`);
    if (request.code !== undefined) {
      // Two groups of 4 (docs/protocol.md section 5), read out digit by digit.
      codeEl.textContent = `${request.code.slice(0, 4)} ${request.code.slice(4)}`;
      codeEl.setAttribute('aria-label', `Code: ${request.code.split('').join(' ')}`);
    }
    setPasswordLinks(request.upn);
    showStatus('pending', byCode ? 'code_pending' : 'pending');
    cancelButton.disabled = false;
    tick();
    waiting.timer = setInterval(tick, 250);

    const events = new EventSource(`${requestUrl(waiting, '/events')}?token=${encodeURIComponent(request.browserToken)}`);
    waiting.events = events;
    events.addEventListener('status', (event) => {
      if (current !== waiting) return;
      /** @type {SigninStatusResponse} */
      let status;
      try {
        status = /** @type {SigninStatusResponse} */ (parseJson(/** @type {unknown} */ (event.data)));
      } catch {
        return;
      }
      if (status) settle(waiting, status);
    });
    events.onerror = () => {
      // Refused a stream (429: too many open) or losing it: poll every 2 s until the outcome, so
      // an approval is never missed (docs/protocol.md section 5). EventSource may also reconnect.
      if (current !== waiting || waiting.poller !== undefined) return;
      void pollOnce(waiting);
      waiting.poller = setInterval(() => void pollOnce(waiting), POLL_MS);
    };
  }

  /** How often the page asks for the status when it has no stream. */
  const POLL_MS = 2000;

  /** @param {Waiting} request */
  async function pollOnce(request) {
    if (current !== request || request.settled) return;
    try {
      const response = await fetch(requestUrl(request), { headers: bearer(request) });
      // A busy relay or a lost connection: the next poll tries again.
      if (response.status === 429 || response.status >= 500) return;
      if (!response.ok) throw new Error(String(response.status));
      settle(request, /** @type {SigninStatusResponse} */ (await readJson(response)));
    } catch {
      if (current === request && !navigator.onLine) finish('error', 'network');
    }
  }

  /** @param {Waiting} request @param {SigninStatusResponse} status */
  function settle(request, status) {
    if (current !== request || (request.settled && !request.withdrawn)) return;
    if (status.status === 'pending') return;
    request.settled = true;
    clearInterval(request.poller);
    if (status.status === 'approved') {
      showStatus('approved', 'approved');
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
    if (isMessageKey(key)) finish(status.status, key);
    else finish('error', 'error');
  }

  /** @param {SigninStatus | 'error'} state @param {MessageKey} key @param {string} [detail] */
  function finish(state, key, detail) {
    if (current) {
      clearInterval(current.timer);
      clearInterval(current.poller);
      if (current.events) current.events.close();
    }
    matchBlock.hidden = true;
    codeBlock.hidden = true;
    countdownEl.hidden = true;
    instruction.hidden = true;
    waitTitle.textContent = failedTitleText;
    showStatus(state, key, detail);
    if (!retryButton.hidden) retryButton.focus();
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
    setPasswordLinks(upn);
    hideStatus();
    if (nextButton instanceof HTMLButtonElement) nextButton.disabled = true;
    let response;
    try {
      response = await fetch('/api/v1/signins', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ upn, ...(app ? { app } : {}), ...(by === 'code' ? { by } : {}) }),
      });
    } catch {
      if (nextButton instanceof HTMLButtonElement) nextButton.disabled = false;
      return showUpnError('network');
    }
    if (nextButton instanceof HTMLButtonElement) nextButton.disabled = false;
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
      if (codeLink) codeLink.classList.add('emphasis');
      return showUpnError('paused', error.message);
    }
    if (response.status === 429)
      return showUpnError('rate_limited', `${MESSAGES.rate_limited[1]} ${tryAgainFrom(response)} Or use your password instead.`);
    if (response.status === 503) return showUpnError('unavailable', `${MESSAGES.unavailable[1]} ${tryAgainFrom(response)}`);
    return showUpnError('error', error.message);
  }

  /**
   * Errors before a request exists: stay on the username step so it can be corrected.
   * @param {MessageKey} key @param {string} [detail]
   */
  function showUpnError(key, detail) {
    stopCurrent();
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    showStatus('error', key, detail);
    retryButton.hidden = true;
    cancelButton.hidden = true;
    if (upnInput instanceof HTMLInputElement) upnInput.focus();
  }

  if (form && upnInput instanceof HTMLInputElement) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const upn = upnInput.value.trim();
      if (!upn) {
        upnInput.setAttribute('aria-invalid', 'true');
        showUpnError('error', 'Enter your username, like alice@example.com.');
        return;
      }
      upnInput.removeAttribute('aria-invalid');
      void start(upn);
    });
  }

  if (codeLink && form && upnInput instanceof HTMLInputElement) {
    codeLink.addEventListener('click', () => {
      const upn = upnInput.value.trim() || lastUpn;
      if (!upn) {
        upnInput.setAttribute('aria-invalid', 'true');
        showUpnError('error', 'Enter your username first, then choose “Sign in with a code instead”.');
        return;
      }
      upnInput.removeAttribute('aria-invalid');
      void start(upn, 'code');
    });
  }

  cancelButton.addEventListener('click', () => {
    const request = current;
    if (!request || request.settled) return;
    cancelButton.disabled = true;
    void withdraw(request).then((status) => {
      if (status) settle(request, status);
      else cancelButton.disabled = false;
    });
  });

  retryButton.addEventListener('click', () => {
    const retryUrl = root.dataset.retryUrl;
    if (retryUrl) return location.assign(retryUrl);
    if (lastUpn) return void start(lastUpn);
    backToUpn();
  });

  /** The username step, empty: whoever signs in next types their own name. */
  function backToUpn() {
    stopCurrent();
    hideStatus();
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    lastUpn = '';
    setPasswordLinks('');
    if (upnInput instanceof HTMLInputElement) {
      upnInput.value = '';
      upnInput.removeAttribute('aria-invalid');
      upnInput.focus();
    }
  }

  if (changeUser) {
    changeUser.addEventListener('click', () => {
      const changeUserUrl = root.dataset.changeUserUrl;
      void withdraw(current, { keepalive: Boolean(changeUserUrl) });
      if (changeUserUrl) return location.assign(changeUserUrl);
      backToUpn();
    });
  }

  // Leaving the number screen by a link withdraws the request before the next page loads...
  document.querySelectorAll('#signin a[href]').forEach((link) => {
    link.addEventListener('click', () => void withdraw(current, { keepalive: true }));
  });
  // ...and so does closing the tab, going back, or typing another address.
  addEventListener('pagehide', () => void withdraw(current, { keepalive: true }));
  // Back to this page from the browser's cache: that request is gone, say so.
  addEventListener('pageshow', (event) => {
    if (event.persisted && current && current.withdrawn) finish('cancelled', 'left');
  });

  // The password page renders this page with a request it already made (push after password).
  if (root.dataset.requestId && root.dataset.browserToken && root.dataset.number) {
    clockOffset = Number(root.dataset.serverNow) ? Number(root.dataset.serverNow) - Date.now() : 0;
    if (Math.abs(clockOffset) <= 3000) clockOffset = 0;
    wait({
      requestId: root.dataset.requestId,
      browserToken: root.dataset.browserToken,
      number: root.dataset.number,
      expiresAt: Number(root.dataset.expiresAt),
      upn: root.dataset.upn || '',
    });
  } else if (upnInput instanceof HTMLInputElement) {
    setPasswordLinks(upnInput.value.trim());
    upnInput.addEventListener('change', () => setPasswordLinks(upnInput.value.trim()));
  }
})();
