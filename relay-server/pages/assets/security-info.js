// Security info page: copy the pairing link, and while a pairing offer is open, poll the device
// list so a newly paired authenticator shows up without a reload.
(() => {
  'use strict';
  const copyButton = document.getElementById('copy-link');
  const linkInput = document.querySelector('[data-testid="pairing-link"]');
  const copyStatus = document.getElementById('copy-status');
  if (copyButton && linkInput) {
    copyButton.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(linkInput.value);
      } catch {
        linkInput.select();
        document.execCommand('copy');
      }
      if (copyStatus) copyStatus.textContent = 'Link copied.';
      copyButton.textContent = 'Copied';
    });
    linkInput.addEventListener('focus', () => linkInput.select());
  }

  const list = document.querySelector('[data-testid="device-list"]');
  const pairing = document.getElementById('pairing');
  if (!list || !pairing) return;
  const expiresAt = Number(pairing.dataset.expiresAt);
  const csrf = list.dataset.csrf || '';
  let known = new Set([...list.querySelectorAll('[data-device-id]')].map((item) => item.dataset.deviceId));

  function deviceItem(device) {
    const item = document.createElement('li');
    item.className = 'device';
    item.dataset.testid = 'device';
    item.dataset.deviceId = device.id;
    item.dataset.active = String(device.active);
    const main = document.createElement('div');
    main.className = 'device-main';
    const icon = document.createElement('span');
    icon.className = device.active ? 'device-icon' : 'device-icon stale';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = device.active ? '✓' : '!';
    const text = document.createElement('div');
    const name = document.createElement('div');
    name.className = 'device-name';
    name.textContent = device.name;
    if (!device.active) {
      // Paired with protocol revision 1: it can no longer approve until it is added again.
      const pill = document.createElement('span');
      pill.className = 'pill warn';
      pill.dataset.testid = 'device-needs-readding';
      pill.title = 'Paired with an older version of Countersign: it can no longer approve sign-ins. Remove it, then add it again.';
      pill.textContent = 'Needs to be added again';
      name.append(' ', pill);
    }
    const meta = document.createElement('div');
    meta.className = 'device-meta';
    meta.textContent = `Added ${device.added} · Last used ${device.lastUsed}`;
    text.append(name, meta);
    main.append(icon, text);
    const remove = document.createElement('form');
    remove.method = 'post';
    remove.action = `/security-info/devices/${encodeURIComponent(device.id)}/remove`;
    const token = document.createElement('input');
    token.type = 'hidden';
    token.name = 'csrf';
    token.value = csrf;
    const button = document.createElement('button');
    button.type = 'submit';
    button.className = 'button danger small';
    button.textContent = 'Remove';
    button.setAttribute('aria-label', `Remove ${device.name}`);
    remove.append(token, button);
    item.append(main, remove);
    return item;
  }

  async function refresh() {
    if (Date.now() > expiresAt) return;
    try {
      const response = await fetch('/security-info/devices.json', { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const { devices } = await response.json();
      const added = devices.filter((device) => !known.has(device.id));
      if (added.length > 0 || devices.length !== known.size) {
        list.replaceChildren(...devices.map(deviceItem));
        known = new Set(devices.map((device) => device.id));
        const empty = document.getElementById('no-devices');
        if (empty) empty.hidden = devices.length > 0;
      }
      if (added.length > 0) {
        const notice = document.getElementById('paired-notice');
        if (notice) {
          notice.textContent = `${added.map((device) => device.name).join(', ')} added. You can now sign in with it.`;
          notice.hidden = false;
        }
        pairing.hidden = true;
        return;
      }
    } catch {
      // A missed poll is harmless; the next one tries again.
    }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 2000);
})();
