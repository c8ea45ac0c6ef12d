import { expect } from 'vitest';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { ClientAt } from './client-at.ts';

/**
 * The user's own browser at `ip`: it signs in once with an approval on `device`, so it holds the
 * relay's familiar-browser cookie (docs/protocol.md section 5) from then on.
 */
export async function familiarBrowserAt(relay: { origin: string }, device: VirtualDevice, upn: string, ip: string): Promise<ClientAt> {
  const browser = new ClientAt(relay.origin, ip);
  const created = await browser.startSignin({ upn });
  expect(created.status).toBe(201);
  expect((await device.approve(created.body.requestId, created.body.number)).outcome).toBe('approved');
  expect(await browser.complete(created.body)).toBe(200);
  expect(browser.cookies.has('countersign_familiar')).toBe(true);
  return browser;
}

/** The same browser (its cookies) seen from another address: a laptop on another network, or a replayed cookie. */
export function sameBrowserAt(browser: ClientAt, ip: string): ClientAt {
  const moved = new ClientAt(browser.origin, ip);
  for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
  return moved;
}

/** What every refusal of an unfamiliar client says works instead (docs/protocol.md section 5). */
export const WHAT_WORKS = /browser you used before.*sign in with a code.*Temporary Access Pass/;
