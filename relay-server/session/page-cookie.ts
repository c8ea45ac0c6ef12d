import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * Short-lived cookies that carry what a form made (a pairing offer, a step-up request, a new
 * Temporary Access Pass or app secret) to the GET page the form redirects to, so the secret never
 * goes into a URL or a log. HttpOnly, SameSite=Strict, sent only to `path`; `__Secure-` on https.
 */
export interface PageCookie {
  name: string;
  path: string;
}

const nameFor = (cookie: PageCookie, relayOrigin: string) => (relayOrigin.startsWith('https:') ? `__Secure-${cookie.name}` : cookie.name);

export function setPageCookie(c: Context, relayOrigin: string, cookie: PageCookie, value: string, lifetimeMs: number): void {
  setCookie(c, nameFor(cookie, relayOrigin), value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: relayOrigin.startsWith('https:'),
    path: cookie.path,
    maxAge: Math.max(1, Math.ceil(lifetimeMs / 1000)),
  });
}

export function readPageCookie(c: Context, relayOrigin: string, cookie: PageCookie): string | undefined {
  return getCookie(c, nameFor(cookie, relayOrigin));
}

export function clearPageCookie(c: Context, relayOrigin: string, cookie: PageCookie): void {
  const name = nameFor(cookie, relayOrigin);
  if (getCookie(c, name) !== undefined) deleteCookie(c, name, { path: cookie.path, secure: relayOrigin.startsWith('https:') });
}
