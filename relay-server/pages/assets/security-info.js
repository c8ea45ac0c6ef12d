// @ts-check
// Security info page: copy the pairing link, and while one waits, show the new authenticator as
// soon as it is added.
import { copyPairingLink } from './security-info-copy-link.js';
import { watchForNewDevice } from './security-info-new-device.js';

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
if (copyButton && linkInput) copyPairingLink(copyButton, linkInput, byId('copy-status', HTMLElement));

const deviceList = document.querySelector('[data-testid="device-list"]');
const pairing = byId('pairing', HTMLElement);
if (deviceList instanceof HTMLElement && pairing) watchForNewDevice(deviceList, pairing);
