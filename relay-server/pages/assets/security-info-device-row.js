// @ts-check
// Security info page: one row of the device list, as account/security-info-page.tsx renders it,
// in the words that page puts on the list (data-remove-question, data-needs-readding…).

/**
 * A device as /security-info/devices.json gives it (deviceView in security-info-page.tsx).
 * @typedef {{ id: string, name: string, added: string, lastUsed: string, active: boolean }} DeviceView
 */

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
 * What the rows say, as the page put it on the list.
 * @typedef {{ csrf: string, removeQuestion: string, needsReadding: string, needsReaddingWhy: string }} RowWords
 */

/** @param {HTMLElement} deviceList the list, carrying the CSRF token and the rows' words @returns {RowWords} */
export function rowWords(deviceList) {
  const { csrf = '', removeQuestion = '', needsReadding = '', needsReaddingWhy = '' } = deviceList.dataset;
  return { csrf, removeQuestion, needsReadding, needsReaddingWhy };
}

/**
 * The Remove form of one device, with the same confirmation as the server-rendered rows.
 * @param {DeviceView} device
 * @param {RowWords} words
 */
function removeForm(device, words) {
  const form = element('form', '');
  form.method = 'post';
  form.action = `/security-info/devices/${encodeURIComponent(device.id)}/remove`;
  form.dataset.confirm = words.removeQuestion.replace('{name}', () => device.name);
  form.dataset.confirmAction = 'Remove';
  const token = element('input', '');
  token.type = 'hidden';
  token.name = 'csrf';
  token.value = words.csrf;
  const button = element('button', 'button danger small', 'Remove');
  button.type = 'submit';
  button.setAttribute('aria-label', `Remove ${device.name}`);
  form.append(token, button);
  return form;
}

/**
 * One row of the list.
 * @param {DeviceView} device
 * @param {RowWords} words
 */
export function deviceItem(device, words) {
  const item = element('li', 'device');
  item.dataset.testid = 'device';
  item.dataset.deviceId = device.id;
  item.dataset.active = String(device.active);
  const icon = element('span', device.active ? 'device-icon' : 'device-icon stale', device.active ? '✓' : '!');
  icon.setAttribute('aria-hidden', 'true');
  const name = element('div', 'device-name', device.name);
  if (!device.active) {
    // Paired with protocol revision 1: it can no longer approve until it is added again.
    const pill = element('span', 'pill warn', words.needsReadding);
    pill.dataset.testid = 'device-needs-readding';
    pill.title = words.needsReaddingWhy;
    name.append(' ', pill);
  }
  const text = element('div', '');
  text.append(name, element('div', 'device-meta', `Added ${device.added} · Last used ${device.lastUsed}`));
  const main = element('div', 'device-main');
  main.append(icon, text);
  item.append(main, removeForm(device, words));
  return item;
}
