import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * Short-lived cookies that carry what a Security info form made (a pairing offer, a step-up
 * request) to the GET page the form redirects to, so the secret never goes into a URL or a log.
 * HttpOnly, SameSite=Strict, and sent only to /security-info; `__Secure-` on https.
 */
const PATH = '/security-info';

const nameFor = (base: string, relayOrigin: string) => (relayOrigin.startsWith('https:') ? `__Secure-${base}` : base);

export function setAccountCookie(c: Context, relayOrigin: string, base: string, value: string, lifetimeMs: number): void {
  setCookie(c, nameFor(base, relayOrigin), value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: relayOrigin.startsWith('https:'),
    path: PATH,
    maxAge: Math.max(1, Math.ceil(lifetimeMs / 1000)),
  });
}

export function readAccountCookie(c: Context, relayOrigin: string, base: string): string | undefined {
  return getCookie(c, nameFor(base, relayOrigin));
}

export function clearAccountCookie(c: Context, relayOrigin: string, base: string): void {
  const name = nameFor(base, relayOrigin);
  if (getCookie(c, name) !== undefined) deleteCookie(c, name, { path: PATH, secure: relayOrigin.startsWith('https:') });
}
