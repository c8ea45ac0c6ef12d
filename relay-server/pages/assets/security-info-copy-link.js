// @ts-check
// Security info page: the Copy button beside a pairing link.

/** @param {HTMLButtonElement} copyButton @param {HTMLInputElement} linkInput @param {HTMLElement | null} copyStatus */
export function copyPairingLink(copyButton, linkInput, copyStatus) {
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
