import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { secretsEqual } from '../../security/secrets.ts';
import { clearPageCookie, readPageCookie, setPageCookie, type PageCookie } from '../../session/page-cookie.ts';

/**
 * A secret an admin form just made (a Temporary Access Pass, an app's client secret) crosses the
 * post/redirect/get in a page cookie (session/page-cookie.ts), never in the URL (URLs end up in
 * history, logs and Referer headers). It lives 60 seconds and is deleted by the page that shows
 * it, so a reload shows it no more. It is tagged with a digest of the admin's session CSRF token:
 * only the session that made it shows it. A cookie rather than server memory, so it works
 * whichever relay instance answers the GET.
 */
const LIFETIME_MS = 60_000;

const tagOf = (cookie: PageCookie, sessionCsrf: string) =>
  createHash('sha256').update(`${cookie.name}|${sessionCsrf}|${cookie.path}`).digest('base64url');

export function keepShownOnce(c: Context, relayOrigin: string, cookie: PageCookie, sessionCsrf: string, payload: string): void {
  setPageCookie(c, relayOrigin, cookie, `${tagOf(cookie, sessionCsrf)}.${payload}`, LIFETIME_MS);
}

/** The payload kept for this session, if any; the cookie is deleted either way. */
export function takeShownOnce(c: Context, relayOrigin: string, cookie: PageCookie, sessionCsrf: string): string | undefined {
  const raw = readPageCookie(c, relayOrigin, cookie);
  if (raw === undefined) return undefined;
  clearPageCookie(c, relayOrigin, cookie);
  const match = /^([\w-]{43})\.(.+)$/s.exec(raw);
  return match && secretsEqual(match[1]!, tagOf(cookie, sessionCsrf)) ? match[2] : undefined;
}
