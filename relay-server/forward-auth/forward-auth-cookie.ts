import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

const NAME = 'countersign_forward_auth';

/**
 * The forward-auth cookie (docs/protocol.md section 10): a handle to the relay session, for
 * COOKIE_DOMAIN so one sign-in covers every protected site under it (host-only on the relay's
 * host when unset). HttpOnly, Secure (and `__Secure-`) on https, SameSite=Lax so following a link
 * to a protected site carries it. It is good for the forward-auth check and nothing else: the
 * relay's own session cookie stays host-only and never reaches the protected apps.
 */
export function forwardAuthCookieName(relayOrigin: string): string {
  return relayOrigin.startsWith('https:') ? `__Secure-${NAME}` : NAME;
}

export function setForwardAuthCookie(
  c: Context,
  options: { relayOrigin: string; cookieDomain: string | undefined; handle: string; lifetimeMs: number },
): void {
  setCookie(c, forwardAuthCookieName(options.relayOrigin), options.handle, {
    httpOnly: true,
    secure: options.relayOrigin.startsWith('https:'),
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.max(1, Math.floor(options.lifetimeMs / 1000)),
    ...(options.cookieDomain ? { domain: options.cookieDomain } : {}),
  });
}

/** The handle a request carries, if it looks like one the relay makes (44 base64url characters). */
export function readForwardAuthCookie(c: Context, relayOrigin: string): string | undefined {
  const value = getCookie(c, forwardAuthCookieName(relayOrigin));
  return value !== undefined && /^[A-Za-z0-9_-]{44}$/.test(value) ? value : undefined;
}
