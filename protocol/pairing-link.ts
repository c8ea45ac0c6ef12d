import { ID_PATTERN } from './encoding.ts';

/**
 * The pairing link of docs/protocol.md section 3:
 * `{relayOrigin}/pair#v=1&token={token}&upn={upn}&relay={urlencoded relayOrigin}`.
 * The token travels in the fragment so it never reaches a server log.
 */
export interface PairingLink {
  relayOrigin: string;
  token: string;
  upn: string;
}

export function buildPairingLink({ relayOrigin, token, upn }: PairingLink): string {
  return `${relayOrigin}/pair#v=1&token=${encodeURIComponent(token)}&upn=${encodeURIComponent(upn)}&relay=${encodeURIComponent(relayOrigin)}`;
}

/** Returns null for anything that is not a version 1 pairing link. */
export function parsePairingLink(link: string): PairingLink | null {
  const hashAt = link.indexOf('#');
  if (hashAt < 0) return null;
  const params = new URLSearchParams(link.slice(hashAt + 1));
  const token = params.get('token');
  const upn = params.get('upn');
  const relay = params.get('relay');
  if (params.get('v') !== '1' || !token || !upn || !relay) return null;
  if (!ID_PATTERN.test(token)) return null;
  const relayOrigin = normalizeOrigin(relay);
  if (!relayOrigin || !link.startsWith(`${relayOrigin}/pair#`)) return null;
  return { relayOrigin, token, upn };
}

/** scheme://host[:port] with no trailing slash, or null when `value` is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
    return url.origin;
  } catch {
    return null;
  }
}
