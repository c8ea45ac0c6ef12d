import { browser } from 'wxt/browser';

/**
 * Reads a pairing link from the page open in this window's tab: the relay's "Add authenticator"
 * page shows it in a field beside its QR code, and mail or chat shows it as a link or text. The
 * extension *is* the authenticator, so it reads the link where a phone would scan the picture:
 * nothing has to be in view, zoom and dark mode do not matter, and no QR decoder (35 KB, most of
 * the extension's size budget after the PIN's OPRF) ships. `activeTab` (opening the popup) grants
 * this one tab; the function below is all that runs there, and it only reads.
 */
export async function readLinkOnPage(): Promise<string | null> {
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined) return null;
  const [injection] = await browser.scripting.executeScript({ target: { tabId: tab.id }, func: findPairingLink });
  const found: unknown = injection?.result;
  return typeof found === 'string' && found.length <= 2048 ? found : null;
}

/** Runs in the page: the first pairing link in a field, a link or the text. Self-contained (it is serialized). */
function findPairingLink(): string | null {
  const pattern = /https?:\/\/[^\s"'<>]+\/pair#v=1&[^\s"'<>]+/;
  const fields = document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
  for (const field of Array.from(fields)) {
    const match = pattern.exec(field.value);
    if (match) return match[0];
  }
  for (const anchor of Array.from(document.querySelectorAll<HTMLAnchorElement>('a[href]'))) {
    const match = pattern.exec(anchor.href);
    if (match) return match[0];
  }
  return pattern.exec(document.body?.innerText ?? '')?.[0] ?? null;
}
