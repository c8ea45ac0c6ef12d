// @ts-check
// The sign-in page's script: username → push request → big number and countdown → outcome.
// Browser modules served from /assets (the CSP allows no inline script). It drives the JSON API
// of docs/protocol.md section 5; the page works without it through the password form.
import { SigninFlow } from './signin-flow.js';
import { signinMessages } from './signin-messages.js';
import { SigninView } from './signin-view.js';

const root = document.getElementById('signin');
if (root) {
  const messages = signinMessages(root.dataset);
  const view = new SigninView(root, messages);
  const flow = new SigninFlow(root, view, messages);
  listenToUsername(view, flow);
  listenToButtons(root, view, flow);
  withdrawOnLeaving(flow);
  if (!flow.resumeStarted() && view.upnInput) {
    const upnInput = view.upnInput;
    view.setPasswordLinks(upnInput.value.trim());
    upnInput.addEventListener('change', () => view.setPasswordLinks(upnInput.value.trim()));
  }
}

/** Next sends a push; "Sign in with a code instead" asks for a code. @param {SigninView} view @param {SigninFlow} flow */
function listenToUsername(view, flow) {
  const { form, upnInput, codeLink } = view;
  if (!form || !upnInput) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const upn = upnInput.value.trim();
    if (!upn) {
      upnInput.setAttribute('aria-invalid', 'true');
      flow.showUpnError('error', 'Enter your username, like alice@example.com.');
      return;
    }
    upnInput.removeAttribute('aria-invalid');
    void flow.start(upn);
  });
  if (!codeLink) return;
  codeLink.addEventListener('click', () => {
    const upn = upnInput.value.trim() || flow.lastUpn;
    if (!upn) {
      upnInput.setAttribute('aria-invalid', 'true');
      flow.showUpnError('error', 'Enter your username first, then choose “Sign in with a code instead”.');
      return;
    }
    upnInput.removeAttribute('aria-invalid');
    void flow.start(upn, 'code');
  });
}

/** Cancel, Try again and "Sign in as someone else". @param {HTMLElement} root @param {SigninView} view @param {SigninFlow} flow */
function listenToButtons(root, view, flow) {
  const { cancelButton, retryButton, changeUser } = view;
  cancelButton.addEventListener('click', () => {
    const request = flow.current;
    if (!request || request.settled) return;
    cancelButton.disabled = true;
    void flow.withdraw(request).then((status) => {
      if (status) flow.settle(request, status);
      else cancelButton.disabled = false;
    });
  });

  retryButton.addEventListener('click', () => {
    const retryUrl = root.dataset.retryUrl;
    if (retryUrl) return location.assign(retryUrl);
    const lastUpn = flow.lastUpn;
    if (lastUpn) return void flow.start(lastUpn);
    flow.backToUpn();
  });

  if (changeUser) {
    changeUser.addEventListener('click', () => {
      const changeUserUrl = root.dataset.changeUserUrl;
      void flow.withdraw(flow.current, { keepalive: Boolean(changeUserUrl) });
      if (changeUserUrl) return location.assign(changeUserUrl);
      flow.backToUpn();
    });
  }
}

/** Nobody approves a sign-in that no page will finish. @param {SigninFlow} flow */
function withdrawOnLeaving(flow) {
  // Leaving the number screen by a link withdraws the request before the next page loads...
  document.querySelectorAll('#signin a[href]').forEach((link) => {
    link.addEventListener('click', () => void flow.withdraw(flow.current, { keepalive: true }));
  });
  // ...and so does closing the tab, going back, or typing another address.
  addEventListener('pagehide', () => void flow.withdraw(flow.current, { keepalive: true }));
  // Back to this page from the browser's cache: that request is gone, say so.
  addEventListener('pageshow', (event) => {
    const request = flow.current;
    if (event.persisted && request && request.withdrawn) flow.finish('cancelled', 'left');
  });
}
