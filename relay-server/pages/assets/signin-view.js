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

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`sign-in page without #${id}`);
  return element;
}

/** @param {string} testId */
function byTestId(testId) {
  const element = document.querySelector(`[data-testid="${testId}"]`);
  if (!(element instanceof HTMLElement)) throw new Error(`sign-in page without ${testId}`);
  return element;
}

/** The elements of the page and what it can show. */
export class SigninView {
  /**
   * @param {HTMLElement} root the #signin element
   * @param {SigninMessages} messages
   */
  constructor(root, messages) {
    this.root = root;
    this.messages = messages;
    this.form = document.querySelector('[data-testid="upn-form"]');
    const upnInput = this.form ? this.form.querySelector('input[name="upn"]') : null;
    this.upnInput = upnInput instanceof HTMLInputElement ? upnInput : null;
    this.nextButton = this.form ? this.form.querySelector('button[type="submit"]') : null;
    this.stepUpn = byId('step-upn');
    this.stepWait = byId('step-wait');
    this.waitUpn = byId('wait-upn');
    this.matchBlock = byId('match');
    this.waitTitle = byId('wait-title');
    this.instruction = byId('instruction');
    this.numberEl = byTestId('match-number');
    this.codeBlock = byId('code-block');
    this.codeEl = byId('signin-code');
    this.codeLink = document.getElementById('code-link');
    this.countdownEl = byTestId('countdown');
    this.statusEl = byTestId('signin-status');
    this.statusTitle = byId('status-title');
    this.statusDetail = byId('status-detail');
    this.cancelButton = /** @type {HTMLButtonElement} */ (byId('cancel-button'));
    this.retryButton = /** @type {HTMLButtonElement} */ (byId('retry-button'));
    this.changeUser = document.getElementById('change-user');
    this.passwordLinks = document.querySelectorAll('a[data-password-link]');
    this.app = root.dataset.app || '';
    this.chooseMode = root.dataset.matchMode === 'choose';
    // Adding an authenticator after a password sign-in reuses this page with its own words.
    this.waitTitleText = root.dataset.waitTitle || 'Approve sign-in request';
    this.failedTitleText = root.dataset.failedTitle || "We couldn't sign you in";
  }

  /** @param {string} upn */
  setPasswordLinks(upn) {
    this.passwordLinks.forEach((link) => {
      const url = new URL(link.getAttribute('href') || '/signin/password', location.href);
      if (upn) url.searchParams.set('upn', upn);
      else url.searchParams.delete('upn');
      if (this.app) url.searchParams.set('app', this.app);
      link.setAttribute('href', url.pathname + url.search);
    });
  }

  /**
   * @param {SigninStatus | 'error'} state what data-state says
   * @param {MessageKey} messageKey which message to show
   * @param {string} [detailOverride]
   */
  showStatus(state, messageKey, detailOverride) {
    const [title, detail] = this.messages[messageKey];
    this.statusEl.hidden = false;
    this.statusEl.dataset.state = state;
    if (messageKey !== state) this.statusEl.dataset.code = messageKey;
    else delete this.statusEl.dataset.code;
    this.statusTitle.textContent = title;
    this.statusDetail.textContent = detailOverride || detail;
    const final = state !== 'pending';
    this.cancelButton.hidden = final;
    // After a report every new request is refused until an administrator unblocks: no dead-end button.
    this.retryButton.hidden = !final || state === 'approved' || state === 'reported';
  }

  hideStatus() {
    this.statusEl.hidden = true;
    this.statusEl.dataset.state = '';
    delete this.statusEl.dataset.code;
    this.cancelButton.hidden = true;
    this.retryButton.hidden = true;
  }

  /**
   * The number (or the code) to match, waiting for the authenticator.
   * @param {{ requestId: string, number: string, upn: string, code?: string | undefined }} request
   */
  showWaiting(request) {
    // The id is no secret (the browser token is); tests and support staff match it with the device.
    this.root.dataset.requestId = request.requestId;
    this.stepUpn.hidden = true;
    this.stepWait.hidden = false;
    if (this.changeUser) this.changeUser.hidden = false;
    const byCode = request.code !== undefined;
    this.matchBlock.hidden = byCode;
    this.codeBlock.hidden = !byCode;
    this.countdownEl.hidden = false;
    this.instruction.hidden = byCode;
    this.waitTitle.textContent = byCode ? 'Type this code into your authenticator' : this.waitTitleText;
    this.waitUpn.textContent = request.upn;
    this.numberEl.textContent = request.number;
    this.numberEl.setAttribute('aria-label', `Number to ${this.chooseMode ? 'choose' : 'enter'}: ${request.number.split('').join(' ')}`);
    if (request.code !== undefined) {
      // Two groups of 4 (docs/protocol.md section 5), read out digit by digit.
      this.codeEl.textContent = `${request.code.slice(0, 4)} ${request.code.slice(4)}`;
      this.codeEl.setAttribute('aria-label', `Code: ${request.code.split('').join(' ')}`);
    }
    this.setPasswordLinks(request.upn);
    this.showStatus('pending', byCode ? 'code_pending' : 'pending');
    this.cancelButton.disabled = false;
  }

  /** @param {number} remaining milliseconds until the request expires */
  showCountdown(remaining) {
    if (remaining > 0) {
      this.countdownEl.textContent = `Expires in ${formatSeconds(remaining)}`;
      this.countdownEl.classList.toggle('urgent', remaining <= 15_000);
    } else {
      this.countdownEl.textContent = 'Expiring…';
    }
  }

  /** How the request ended, when it did not sign the person in. @param {SigninStatus | 'error'} state @param {MessageKey} key @param {string} [detail] */
  showEnded(state, key, detail) {
    this.matchBlock.hidden = true;
    this.codeBlock.hidden = true;
    this.countdownEl.hidden = true;
    this.instruction.hidden = true;
    this.waitTitle.textContent = this.failedTitleText;
    this.showStatus(state, key, detail);
    if (!this.retryButton.hidden) this.retryButton.focus();
  }

  /** Errors before a request exists: the username step, so it can be corrected. @param {MessageKey} key @param {string} [detail] */
  showUpnError(key, detail) {
    this.stepWait.hidden = true;
    this.stepUpn.hidden = false;
    if (this.changeUser) this.changeUser.hidden = true;
    this.showStatus('error', key, detail);
    this.retryButton.hidden = true;
    this.cancelButton.hidden = true;
    if (this.upnInput) this.upnInput.focus();
  }

  /** The username step, empty: whoever signs in next types their own name. */
  showEmptyUpn() {
    this.hideStatus();
    this.stepWait.hidden = true;
    this.stepUpn.hidden = false;
    if (this.changeUser) this.changeUser.hidden = true;
    this.setPasswordLinks('');
    if (this.upnInput) {
      this.upnInput.value = '';
      this.upnInput.removeAttribute('aria-invalid');
      this.upnInput.focus();
    }
  }

  /** @param {boolean} busy */
  setStarting(busy) {
    if (this.nextButton instanceof HTMLButtonElement) this.nextButton.disabled = busy;
  }
}
