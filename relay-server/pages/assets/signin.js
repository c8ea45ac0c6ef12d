// The sign-in page's script: username → push request → big number and countdown → outcome.
// Plain browser JavaScript served from /assets (the CSP allows no inline script). It drives the
// JSON API of PROTOCOL.md section 5; the page works without it through the password form.
(() => {
  'use strict';
  const root = document.getElementById('signin');
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const form = document.querySelector('[data-testid="upn-form"]');
  const upnInput = form ? form.querySelector('input[name="upn"]') : null;
  const nextButton = form ? form.querySelector('button[type="submit"]') : null;
  const stepUpn = $('step-upn');
  const stepWait = $('step-wait');
  const waitUpn = $('wait-upn');
  const matchBlock = $('match');
  const waitTitle = $('wait-title');
  const instruction = $('instruction');
  const numberEl = document.querySelector('[data-testid="match-number"]');
  const countdownEl = document.querySelector('[data-testid="countdown"]');
  const statusEl = document.querySelector('[data-testid="signin-status"]');
  const statusTitle = $('status-title');
  const statusDetail = $('status-detail');
  const cancelButton = $('cancel-button');
  const retryButton = $('retry-button');
  const changeUser = $('change-user');
  const passwordLinks = document.querySelectorAll('[data-password-link]');

  const app = root.dataset.app || '';
  const chooseMode = root.dataset.matchMode === 'choose';
  const returnTo = root.dataset.returnTo || '/me';
  // Adding an authenticator after a password sign-in reuses this page with its own words.
  const waitTitleText = root.dataset.waitTitle || 'Approve sign-in request';
  const failedTitleText = root.dataset.failedTitle || "We couldn't sign you in";

  const MESSAGES = {
    pending: ['Waiting for your approval…', 'We sent a sign-in request to your authenticator.'],
    approved: ['Request approved', 'Signing you in…'],
    denied: ['Sign-in request denied', 'The request was denied in your authenticator. If this was a mistake, try again.'],
    reported: [
      'Request reported as not yours',
      'Thanks for reporting it. Phone sign-in is now blocked for this account until an administrator reviews it.',
    ],
    wrong_number: [
      "The numbers didn't match",
      'The number entered in your authenticator was not the one shown here. Try again and use the number on this page.',
    ],
    expired: ['The request timed out', "We didn't get an answer from your authenticator in time."],
    cancelled: ['Sign-in request cancelled', 'You cancelled this sign-in request.'],
    superseded: ['Request replaced', 'A newer sign-in request for this account replaced this one.'],
    error: ['Something went wrong', 'The sign-in request could not be completed. Try again.'],
    no_push_method: [
      'No authenticator is set up for this account',
      'Phone sign-in is not available for this account. Use your password instead, or ask your administrator.',
    ],
    rate_limited: [
      'Too many sign-in requests',
      'Phone sign-in is paused for this account for now. Wait a while and try again, or use your password instead.',
    ],
    network: ['Could not reach the sign-in service', 'Check your connection and try again.'],
  };

  /** One sign-in request at a time; a newer one makes every callback of the older one a no-op. */
  let current = null;
  let generation = 0;
  let lastUpn = root.dataset.upn || '';
  let clockOffset = 0;

  function setPasswordLinks(upn) {
    for (const link of passwordLinks) {
      const url = new URL(link.getAttribute('href'), location.href);
      if (upn) url.searchParams.set('upn', upn);
      else url.searchParams.delete('upn');
      if (app) url.searchParams.set('app', app);
      link.setAttribute('href', url.pathname + url.search);
    }
  }

  function showStatus(state, messageKey, detailOverride) {
    const [title, detail] = MESSAGES[messageKey] || MESSAGES.error;
    statusEl.hidden = false;
    statusEl.dataset.state = state;
    if (messageKey !== state) statusEl.dataset.code = messageKey;
    else delete statusEl.dataset.code;
    statusTitle.textContent = title;
    statusDetail.textContent = detailOverride || detail;
    const final = state !== 'pending';
    cancelButton.hidden = final;
    retryButton.hidden = !final || state === 'approved';
  }

  function hideStatus() {
    statusEl.hidden = true;
    statusEl.dataset.state = '';
  }

  function stopCurrent() {
    if (!current) return;
    clearInterval(current.timer);
    if (current.events) current.events.close();
    current = null;
  }

  function formatRemaining(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(seconds / 60);
    return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
  }

  function tick() {
    if (!current) return;
    const remaining = current.expiresAt - (Date.now() + clockOffset);
    if (remaining > 0) {
      countdownEl.textContent = `Expires in ${formatRemaining(remaining)}`;
      countdownEl.classList.toggle('urgent', remaining <= 15_000);
    } else {
      countdownEl.textContent = 'Expiring…';
    }
  }

  function offsetFrom(response) {
    const date = Date.parse(response.headers.get('date') || '');
    if (Number.isNaN(date)) return 0;
    const offset = date - Date.now();
    return Math.abs(offset) > 3000 ? offset : 0;
  }

  /** Shows the number and listens for the outcome of one request. */
  function wait(request) {
    stopCurrent();
    const id = ++generation;
    current = { ...request, id, timer: 0, events: null, settled: false };
    // The id is no secret (the browser token is); tests and support staff match it with the device.
    root.dataset.requestId = request.requestId;
    stepUpn.hidden = true;
    stepWait.hidden = false;
    if (changeUser) changeUser.hidden = false;
    matchBlock.hidden = false;
    countdownEl.hidden = false;
    instruction.hidden = false;
    waitTitle.textContent = waitTitleText;
    waitUpn.textContent = request.upn;
    numberEl.textContent = request.number;
    numberEl.setAttribute('aria-label', `Number to ${chooseMode ? 'choose' : 'enter'}: ${request.number.split('').join(' ')}`);
    setPasswordLinks(request.upn);
    showStatus('pending', 'pending');
    cancelButton.disabled = false;
    tick();
    current.timer = setInterval(tick, 250);

    const url = `/api/v1/signins/${encodeURIComponent(request.requestId)}/events?token=${encodeURIComponent(request.browserToken)}`;
    const events = new EventSource(url);
    current.events = events;
    events.addEventListener('status', (event) => {
      if (!current || current.id !== id) return;
      let status;
      try {
        status = JSON.parse(event.data);
      } catch {
        return;
      }
      settle(id, status);
    });
    events.onerror = () => {
      // EventSource reconnects by itself; it gives up (CLOSED) only on an HTTP error.
      if (current && current.id === id && events.readyState === EventSource.CLOSED) pollOnce(id);
    };
  }

  async function pollOnce(id) {
    const request = current;
    try {
      const response = await fetch(`/api/v1/signins/${encodeURIComponent(request.requestId)}`, {
        headers: { Authorization: `Bearer ${request.browserToken}` },
      });
      if (!response.ok) throw new Error(String(response.status));
      settle(id, await response.json());
    } catch {
      if (current && current.id === id) finish('error', 'network');
    }
  }

  function settle(id, status) {
    if (!current || current.id !== id || current.settled) return;
    if (status.status === 'pending') return showStatus('pending', 'pending');
    current.settled = true;
    if (status.status === 'approved') {
      showStatus('approved', 'approved');
      void complete(id);
      return;
    }
    const key = status.status === 'cancelled' && status.reason === 'superseded' ? 'superseded' : status.status;
    finish(status.status in MESSAGES ? status.status : 'error', key);
  }

  function finish(state, key, detail) {
    if (current) {
      clearInterval(current.timer);
      if (current.events) current.events.close();
    }
    matchBlock.hidden = true;
    countdownEl.hidden = true;
    instruction.hidden = true;
    waitTitle.textContent = failedTitleText;
    showStatus(state, key, detail);
    retryButton.focus();
  }

  async function complete(id) {
    const request = current;
    try {
      const response = await fetch(`/api/v1/signins/${encodeURIComponent(request.requestId)}/complete`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${request.browserToken}` },
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(String(response.status));
      if (current && current.id === id) {
        clearInterval(current.timer);
        if (current.events) current.events.close();
      }
      location.assign(returnTo);
    } catch {
      if (current && current.id === id) finish('error', 'error');
    }
  }

  async function start(upn) {
    lastUpn = upn;
    setPasswordLinks(upn);
    hideStatus();
    if (nextButton) nextButton.disabled = true;
    let response;
    try {
      response = await fetch('/api/v1/signins', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(app ? { upn, app } : { upn }),
      });
    } catch {
      if (nextButton) nextButton.disabled = false;
      return showUpnError('network');
    }
    if (nextButton) nextButton.disabled = false;
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.status === 201 && body) {
      clockOffset = offsetFrom(response);
      return wait({ ...body, upn });
    }
    const code = body && body.error ? body.error.code : '';
    if (response.status === 422 || code === 'no_push_method') return showUpnError('no_push_method');
    // The relay's message says which limit and when to try again.
    if (response.status === 429 || code === 'rate_limited') return showUpnError('rate_limited', body && body.error ? body.error.message : undefined);
    return showUpnError('error', body && body.error ? body.error.message : undefined);
  }

  /** Errors before a request exists: stay on the username step so it can be corrected. */
  function showUpnError(key, detail) {
    stopCurrent();
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    showStatus('error', key, detail);
    retryButton.hidden = true;
    cancelButton.hidden = true;
    if (upnInput) upnInput.focus();
  }

  if (form && upnInput) {
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

  cancelButton.addEventListener('click', async () => {
    const request = current;
    if (!request || request.settled) return;
    cancelButton.disabled = true;
    try {
      const response = await fetch(`/api/v1/signins/${encodeURIComponent(request.requestId)}/cancel`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${request.browserToken}` },
      });
      if (response.ok) settle(request.id, await response.json());
      else cancelButton.disabled = false;
    } catch {
      cancelButton.disabled = false;
    }
  });

  retryButton.addEventListener('click', () => {
    const retryUrl = root.dataset.retryUrl;
    if (retryUrl) return location.assign(retryUrl);
    if (lastUpn) return void start(lastUpn);
    backToUpn();
  });

  function backToUpn() {
    stopCurrent();
    hideStatus();
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    if (upnInput) upnInput.focus();
  }

  if (changeUser) {
    changeUser.addEventListener('click', () => {
      const request = current;
      if (request && !request.settled) {
        void fetch(`/api/v1/signins/${encodeURIComponent(request.requestId)}/cancel`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${request.browserToken}` },
        }).catch(() => {});
      }
      if (root.dataset.retryUrl) return location.assign(root.dataset.retryUrl);
      backToUpn();
    });
  }

  // The password page renders this page with a request it already made (push after password).
  if (root.dataset.requestId) {
    clockOffset = Number(root.dataset.serverNow) ? Number(root.dataset.serverNow) - Date.now() : 0;
    if (Math.abs(clockOffset) <= 3000) clockOffset = 0;
    wait({
      requestId: root.dataset.requestId,
      browserToken: root.dataset.browserToken,
      number: root.dataset.number,
      expiresAt: Number(root.dataset.expiresAt),
      upn: root.dataset.upn,
    });
  } else if (upnInput) {
    setPasswordLinks(upnInput.value.trim());
    upnInput.addEventListener('change', () => setPasswordLinks(upnInput.value.trim()));
  }
})();
