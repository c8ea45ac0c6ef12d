import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import type { SigninClient } from '../../../testing/admin-client.ts';
import type { CookieBrowser } from '../../../testing/cookie-browser.ts';

/** Signs `browser` in with a passwordless approval on `device` (amr has `mfa`). */
export async function signInWithApproval(browser: CookieBrowser, signin: SigninClient, device: VirtualDevice, upn: string): Promise<void> {
  const created = await signin.createSignin({ upn });
  const result = await device.approve(created.requestId, created.number);
  if (result.outcome !== 'approved') throw new Error(`approval was ${result.outcome}`);
  const response = await browser.completeSignin(created);
  if (response.status !== 200) throw new Error(`complete answered ${response.status}`);
}
