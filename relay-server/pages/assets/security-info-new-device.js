// @ts-check
// Security info page: while a pairing link waits, ask for the device list every second so the new
// authenticator shows up as soon as it is added, without a reload. A poll rather than an event
// stream: it is one small same-origin GET, only while a link waits (ten minutes at most), and it
// works across relay instances with no fan-out of its own.
import { deviceItem, rowWords } from './security-info-device-row.js';

/** @typedef {import('./security-info-device-row.js').DeviceView} DeviceView */

const POLL_MS = 1000;

/** @param {string} id */
const sectionById = (id) => {
  const element = document.getElementById(id);
  return element instanceof HTMLElement ? element : null;
};

function resetAddButton() {
  const add = document.querySelector('[data-testid="add-authenticator"]');
  if (add) add.textContent = 'Add authenticator';
}

/** The link is no longer usable: say so, and offer a new one. @param {HTMLElement} pairingSection */
function showExpired(pairingSection) {
  pairingSection.hidden = true;
  const expired = sectionById('pairing-expired');
  if (expired) expired.hidden = false;
  resetAddButton();
}

/** Announces what was added; the link is used. @param {DeviceView[]} added @param {HTMLElement} pairingSection */
function showAdded(added, pairingSection) {
  const notice = sectionById('paired-notice');
  if (notice) {
    notice.textContent = `${added.map((device) => device.name).join(', ')} added. You can now sign in with it.`;
    notice.hidden = false;
  }
  pairingSection.hidden = true;
  resetAddButton();
}

/**
 * Polls until a device is added or the link expires.
 * @param {HTMLElement} deviceList the page's list of devices
 * @param {HTMLElement} pairingSection the waiting pairing link, with its data-expires-at
 */
export function watchForNewDevice(deviceList, pairingSection) {
  const expiresAt = Number(pairingSection.dataset.expiresAt);
  const words = rowWords(deviceList);
  /** @type {Set<string>} */
  let known = new Set(
    Array.from(deviceList.querySelectorAll('[data-device-id]'), (item) => (item instanceof HTMLElement ? item.dataset.deviceId || '' : '')),
  );

  /**
   * Shows the new list; announces and focuses what was added.
   * @param {DeviceView[]} devices
   */
  function showDevices(devices) {
    const added = devices.filter((device) => !known.has(device.id));
    if (added.length === 0 && devices.length === known.size) return false;
    deviceList.replaceChildren(...devices.map((device) => deviceItem(device, words)));
    known = new Set(devices.map((device) => device.id));
    const empty = sectionById('no-devices');
    if (empty) empty.hidden = devices.length > 0;
    if (added.length === 0) return false;
    showAdded(added, pairingSection);
    return true;
  }

  async function refresh() {
    if (Date.now() >= expiresAt) {
      showExpired(pairingSection);
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
}
