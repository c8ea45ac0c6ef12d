import { isLoopbackHost } from '../loopback-host.ts';
import { parsePairingLink, type PairingLink } from '../pairing-link.ts';

/**
 * Which relays a device pairs with (section 3): `https`, or `http` on a loopback host only, so a
 * pairing link can never send keys or decisions over a network in clear text.
 */
export function isPairableRelayOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

export type PairingLinkCheck = { ok: true; offer: PairingLink } | { ok: false; code: 'invalid_link' | 'insecure_relay' };

/** @example readPairingLink('https://id.example.com/pair#v=1&token=…') // {ok: true, offer} */
export function readPairingLink(link: string): PairingLinkCheck {
  const offer = parsePairingLink(link.trim());
  if (!offer) return { ok: false, code: 'invalid_link' };
  if (!isPairableRelayOrigin(offer.relayOrigin)) return { ok: false, code: 'insecure_relay' };
  return { ok: true, offer };
}
