// @ts-check
// Security info page: copy the pairing link, and while a pairing link waits, ask for the device
// list every second so the new authenticator shows up as soon as it is added, without a reload.
// A poll rather than an event stream: it is one small same-origin GET, only while a link waits
// (ten minutes at most), and it works across relay instances with no fan-out of its own.
(() => {
  'use strict';

  /**
   * A device as /security-info/devices.json gives it (deviceView in security-info-page.tsx).
   * @typedef {{ id: string, name: string, added: string, lastUsed: string, active: boolean }} DeviceView
   */

  const POLL_MS = 1000;

  /**
   * The element with this id when it is of the given kind, else null.
   * @template {HTMLElement} T
   * @param {string} id
   * @param {new () => T} kind
   * @returns {T | null}
   */
  function byId(id, kind) {
    const element = document.getElementById(id);
    return element instanceof kind ? element : null;
  }

  const copyButton = byId('copy-link', HTMLButtonElement);
  const linkInput = byId('pairing-link', HTMLInputElement);
  const copyStatus = byId('copy-status', HTMLElement);
  if (copyButton && linkInput) {
    const copied = () => {
      if (copyStatus) copyStatus.textContent = 'Link copied.';
      copyButton.textContent = 'Copied';
    };
    copyButton.addEventListener('click', () => {
      navigator.clipboard.writeText(linkInput.value).then(copied, () => {
        // No clipboard permission: select the link and copy it the old way.
        linkInput.select();
        if (document.execCommand('copy')) copied();
        else if (copyStatus) copyStatus.textContent = 'Select the link and copy it.';
      });
    });
    linkInput.addEventListener('focus', () => linkInput.select());
  }

  const list = document.querySelector('[data-testid="device-list"]');
  const pairing = byId('pairing', HTMLElement);
  if (!(list instanceof HTMLElement) || !pairing) return;
  const pairingSection = pairing;
  const deviceList = list;
  const expiresAt = Number(pairingSection.dataset.expiresAt);
  const csrf = deviceList.dataset.csrf || '';
  /** @type {Set<string>} */
  let known = new Set(
    Array.from(deviceList.querySelectorAll('[data-device-id]'), (item) => (item instanceof HTMLElement ? item.dataset.deviceId || '' : '')),
  );

  /**
   * An element with a class and, optionally, its text.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {string} className
   * @param {string} [text]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  /**
   * The Remove form of one device, with the same confirmation as the server-rendered rows.
   * @param {DeviceView} device
   */
  function removeForm(device) {
    const form = element('form', '');
    form.method = 'post';
    form.action = `/security-info/devices/${encodeURIComponent(device.id)}/remove`;
    form.dataset.confirm = `Remove “${device.name}”? It will stop getting sign-in requests for this account.`;
    form.dataset.confirmAction = 'Remove';
    const token = element('input', '');
    token.type = 'hidden';
    token.name = 'csrf';
    token.value = csrf;
    const button = element('button', 'button danger small', 'Remove');
    button.type = 'submit';
    button.setAttribute('aria-label', `Remove ${device.name}`);
    form.append(token, button);
    return form;
  }

  /**
   * One row of the list, as security-info-page.tsx renders it.
   * @param {DeviceView} device
   */
  function deviceItem(device) {
    const item = element('li', 'device');
    item.dataset.testid = 'device';
    item.dataset.deviceId = device.id;
    item.dataset.active = String(device.active);
    const icon = element('span', device.active ? 'device-icon' : 'device-icon stale', device.active ? '✓' : '!');
    icon.setAttribute('aria-hidden', 'true');
    const name = element('div', 'device-name', device.name);
    if (!device.active) {
      // Paired with protocol revision 1: it can no longer approve until it is added again.
      const pill = element('span', 'pill warn', 'Needs to be added again');
      pill.dataset.testid = 'device-needs-readding';
      pill.title = 'Paired with an older version of Countersign: it can no longer approve sign-ins. Remove it, then add it again.';
      name.append(' ', pill);
    }
    const text = element('div', '');
    text.append(name, element('div', 'device-meta', `Added ${device.added} · Last used ${device.lastUsed}`));
    const main = element('div', 'device-main');
    main.append(icon, text);
    item.append(main, removeForm(device));
    return item;
  }

  /** The link is no longer usable: say so, and offer a new one. */
  function showExpired() {
    pairingSection.hidden = true;
    const expired = byId('pairing-expired', HTMLElement);
    if (expired) expired.hidden = false;
    resetAddButton();
  }

  function resetAddButton() {
    const add = document.querySelector('[data-testid="add-authenticator"]');
    if (add) add.textContent = 'Add authenticator';
  }

  /**
   * Shows the new list; announces and focuses what was added.
   * @param {DeviceView[]} devices
   */
  function showDevices(devices) {
    const added = devices.filter((device) => !known.has(device.id));
    if (added.length === 0 && devices.length === known.size) return false;
    deviceList.replaceChildren(...devices.map(deviceItem));
    known = new Set(devices.map((device) => device.id));
    const empty = byId('no-devices', HTMLElement);
    if (empty) empty.hidden = devices.length > 0;
    if (added.length === 0) return false;
    const notice = byId('paired-notice', HTMLElement);
    if (notice) {
      notice.textContent = `${added.map((device) => device.name).join(', ')} added. You can now sign in with it.`;
      notice.hidden = false;
    }
    pairingSection.hidden = true;
    resetAddButton();
    return true;
  }

  async function refresh() {
    if (Date.now() >= expiresAt) {
      showExpired();
      return;
    }
    try {
      const response = await fetch('/security-info/devices.json', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (response.ok) {
        const body = /** @type {unknown} */ (await response.json());
        if (showDevices(/** @type {{ devices: DeviceView[] }} */ (body).devices)) return;
      }
    } catch {
      // A missed poll is harmless; the next one tries again.
    }
    setTimeout(refresh, POLL_MS);
  }
  setTimeout(refresh, POLL_MS);
})();
