import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * Where a signed-out visitor was going (an admin page or their security info page), kept for ten
 * minutes in an HttpOnly cookie so that whichever way they then sign in (password page or phone,
 * both of which land on /me) they come back to it. Only /admin and /security-info paths are kept,
 * so this can never redirect off the relay. An app's waiting sign-in is never kept here: it travels
 * with the sign-in request (signin/waiting-app.ts), so a later sign-in cannot be captured by it;
 * and only a session started after it was set takes it (the one who is still signed in the old
 * way can visit /me without being sent back). A Temporary Access Pass lands on adding an
 * authenticator instead and leaves the cookie for the next visit to /me.
 */
const COOKIE = 'countersign_return_to';
const LIFETIME_SECONDS = 600;

/** A page under `prefix` on this relay (never `//`, which a browser would read as another host). */
const isPageUnder = (prefix: string, value: string): boolean =>
  new RegExp(`^${prefix}(?:[/?][^\\\\\\s]*)?$`).test(value) && !value.startsWith(`${prefix}//`) && value.length <= 512;
const isAdminPath = (value: string): boolean => isPageUnder('/admin', value);
/** Security info and its pages: where the extension's "Add again" sends a person (account/security-info-routes.tsx). */
const isSecurityInfoPath = (value: string): boolean => isPageUnder('/security-info', value);
// A cookie from an older relay naming an app's interaction is dropped when read, never followed.
const isReturnPath = (value: string): boolean => isAdminPath(value) || isSecurityInfoPath(value);

export function rememberReturnTo(c: Context, relayOrigin: string, now: number): void {
  const url = new URL(c.req.url);
  const target = url.pathname + url.search;
  if (c.req.method !== 'GET' || !isReturnPath(target)) return;
  setCookie(c, COOKIE, `${now}|${target}`, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: relayOrigin.startsWith('https:'),
    path: '/',
    maxAge: LIFETIME_SECONDS,
  });
}

/** The remembered destination for a session started at `sessionStartedAt`, forgotten as it is taken. */
export function takeReturnTo(c: Context, relayOrigin: string, sessionStartedAt: number): string | undefined {
  const raw = getCookie(c, COOKIE);
  if (raw === undefined) return undefined;
  const match = /^(\d{1,15})\|(.*)$/s.exec(raw);
  if (match && Number(match[1]) > sessionStartedAt) return undefined; // set after this session began
  deleteCookie(c, COOKIE, { path: '/', secure: relayOrigin.startsWith('https:') });
  const target = match?.[2];
  return target !== undefined && isReturnPath(target) ? target : undefined;
}
