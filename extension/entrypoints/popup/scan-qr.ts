import { browser } from 'wxt/browser';

/**
 * Reads a QR code from the visible tab. `captureVisibleTab` works through the `activeTab`
 * grant that opening the popup gives; the decoder (paulmillr's `qr`, by the author of
 * @noble/curves) is loaded only here, keeping other bundles small.
 */
export async function scanVisibleTab(): Promise<string | null> {
  const dataUrl = await browser.tabs.captureVisibleTab({ format: 'png' });
  const image = await createImageBitmap(await (await fetch(dataUrl)).blob());
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height);
  const { decodeQR } = await import('qr/decode.js');
  try {
    return decodeQR({ width: pixels.width, height: pixels.height, data: pixels.data });
  } catch {
    return null; // no QR code in view
  }
}
