// @ts-check
// The sign-in page's markup (signin/signin-page.tsx), one step shown at a time: the username,
// the number or code with its countdown, and the status of the request.

/** @typedef {import('../../../protocol/messages.ts').SigninStatus} SigninStatus */
/** @typedef {import('./signin-messages.js').SigninMessages} SigninMessages */
/** @typedef {import('./signin-messages.js').MessageKey} MessageKey */

/** Like the extension's formatSeconds (extension/components/use-now.ts): "30 s", "1:45". @param {number} ms */
function formatSeconds(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}:${String(seconds % 60).padStart(2, '0')}` : `${seconds} s`;
}

/**
 * The elements of the page and what it can show.
 * @param {HTMLElement} root the #signin element
 * @param {SigninMessages} messages
 */
export function signinView(root, messages) {
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
  // Adding an authenticator after a password sign-in reuses this page with its own words.
  const waitTitleText = root.dataset.waitTitle || 'Approve sign-in request';
  const failedTitleText = root.dataset.failedTitle || "We couldn't sign you in";

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
   * @param {MessageKey} messageKey which message to show
   * @param {string} [detailOverride]
   */
  function showStatus(state, messageKey, detailOverride) {
    const [title, detail] = messages[messageKey];
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

  /**
   * The number (or the code) to match, waiting for the authenticator.
   * @param {{ requestId: string, number: string, upn: string, code?: string | undefined }} request
   */
  function showWaiting(request) {
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
  }

  /** @param {number} remaining milliseconds until the request expires */
  function showCountdown(remaining) {
    if (remaining > 0) {
      countdownEl.textContent = `Expires in ${formatSeconds(remaining)}`;
      countdownEl.classList.toggle('urgent', remaining <= 15_000);
    } else {
      countdownEl.textContent = 'Expiring…';
    }
  }

  /** How the request ended, when it did not sign the person in. @param {SigninStatus | 'error'} state @param {MessageKey} key @param {string} [detail] */
  function showEnded(state, key, detail) {
    matchBlock.hidden = true;
    codeBlock.hidden = true;
    countdownEl.hidden = true;
    instruction.hidden = true;
    waitTitle.textContent = failedTitleText;
    showStatus(state, key, detail);
    if (!retryButton.hidden) retryButton.focus();
  }

  /** Errors before a request exists: the username step, so it can be corrected. @param {MessageKey} key @param {string} [detail] */
  function showUpnError(key, detail) {
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    showStatus('error', key, detail);
    retryButton.hidden = true;
    cancelButton.hidden = true;
    if (upnInput instanceof HTMLInputElement) upnInput.focus();
  }

  /** The username step, empty: whoever signs in next types their own name. */
  function showEmptyUpn() {
    hideStatus();
    stepWait.hidden = true;
    stepUpn.hidden = false;
    if (changeUser) changeUser.hidden = true;
    setPasswordLinks('');
    if (upnInput instanceof HTMLInputElement) {
      upnInput.value = '';
      upnInput.removeAttribute('aria-invalid');
      upnInput.focus();
    }
  }

  /** @param {boolean} busy */
  function setStarting(busy) {
    if (nextButton instanceof HTMLButtonElement) nextButton.disabled = busy;
  }

  return {
    form,
    upnInput: upnInput instanceof HTMLInputElement ? upnInput : null,
    codeLink,
    changeUser,
    cancelButton,
    retryButton,
    setPasswordLinks,
    showStatus,
    hideStatus,
    showWaiting,
    showCountdown,
    showEnded,
    showUpnError,
    showEmptyUpn,
    setStarting,
  };
}

/** @typedef {ReturnType<typeof signinView>} SigninView */
