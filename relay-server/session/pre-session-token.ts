import type { Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';

/**
 * The signed-out forms' pre-session CSRF token (pages/csrf.ts issues and checks it): a cookie, on
 * https with the `__Host-` prefix so a sibling subdomain can't plant it, and its copy for this
 * request in the context. It lives beside the session because starting a session ends it.
 */
export const preSessionCookieName = (relayOrigin: string): string =>
  relayOrigin.startsWith('https:') ? '__Host-countersign_csrf' : 'countersign_csrf';

/** Where this request keeps the token it has issued, so every form on a page carries the same one. */
export const PRE_SESSION_TOKEN_KEY = 'csrfToken';

/** Sign-in ends the pre-session token: the next signed-out form gets a new one. */
export function forgetPreSessionToken(c: Context, relayOrigin: string): void {
  const name = preSessionCookieName(relayOrigin);
  if (getCookie(c, name) !== undefined) deleteCookie(c, name, { path: '/', secure: relayOrigin.startsWith('https:') });
  c.set(PRE_SESSION_TOKEN_KEY as never, undefined as never);
}
