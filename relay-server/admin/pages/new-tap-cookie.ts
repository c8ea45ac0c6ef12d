import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secretsEqual } from '../../security/secrets.ts';

/**
 * A new Temporary Access Pass crosses the post/redirect/get in a cookie, never in the URL (URLs
 * end up in history, logs and Referer headers). The cookie is HttpOnly, SameSite=Strict, limited
 * to that user's admin page, lives 60 seconds and is deleted by the page that shows it, so a
 * reload shows the pass no more. It is tagged with a digest of the admin's session CSRF token: only
 * the session that issued it shows it. A cookie rather than server memory, so it works whichever
 * relay instance answers the GET.
 */
const COOKIE = 'countersign_new_tap';
const LIFETIME_SECONDS = 60;

export interface NewTap {
  code: string;
  expiresAt: number;
  oneTime: boolean;
}

const userPath = (userId: string) => `/admin/users/${encodeURIComponent(userId)}`;
const tagOf = (sessionCsrf: string, userId: string) => createHash('sha256').update(`new-tap|${sessionCsrf}|${userId}`).digest('base64url');

export function keepNewTap(c: Context, relayOrigin: string, sessionCsrf: string, userId: string, tap: NewTap): void {
  setCookie(c, COOKIE, `${tagOf(sessionCsrf, userId)}.${tap.expiresAt}.${tap.oneTime ? 1 : 0}.${tap.code}`, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: relayOrigin.startsWith('https:'),
    path: userPath(userId),
    maxAge: LIFETIME_SECONDS,
  });
}

/** The pass kept for this session and user, if any; the cookie is deleted either way. */
export function takeNewTap(c: Context, relayOrigin: string, sessionCsrf: string, userId: string): NewTap | undefined {
  const raw = getCookie(c, COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, COOKIE, { path: userPath(userId), secure: relayOrigin.startsWith('https:') });
  const match = /^([\w-]{43})\.(\d{1,15})\.([01])\.([\w-]{16,64})$/.exec(raw);
  if (!match || !secretsEqual(match[1]!, tagOf(sessionCsrf, userId))) return undefined;
  return { code: match[4]!, expiresAt: Number(match[2]), oneTime: match[3] === '1' };
}
