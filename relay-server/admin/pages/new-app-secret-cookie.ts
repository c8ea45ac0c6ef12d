import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secretsEqual } from '../../security/secrets.ts';

/**
 * A new app's client secret crosses the post/redirect/get the way a new Temporary Access Pass does
 * (new-tap-cookie.ts): in an HttpOnly, SameSite=Strict cookie limited to /admin/apps, 60 seconds,
 * tagged with the admin session's CSRF token and deleted by the page that shows it. Only its hash
 * is stored, so this page is the one chance to copy it.
 */
const COOKIE = 'countersign_new_app';
const PATH = '/admin/apps';
const LIFETIME_SECONDS = 60;

export interface NewAppSecret {
  clientId: string;
  clientSecret: string;
}

const tagOf = (sessionCsrf: string) => createHash('sha256').update(`new-app|${sessionCsrf}`).digest('base64url');

export function keepNewAppSecret(c: Context, relayOrigin: string, sessionCsrf: string, secret: NewAppSecret): void {
  setCookie(c, COOKIE, `${tagOf(sessionCsrf)}.${secret.clientId}.${secret.clientSecret}`, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: relayOrigin.startsWith('https:'),
    path: PATH,
    maxAge: LIFETIME_SECONDS,
  });
}

/** The secret kept for this session, if any; the cookie is deleted either way. */
export function takeNewAppSecret(c: Context, relayOrigin: string, sessionCsrf: string): NewAppSecret | undefined {
  const raw = getCookie(c, COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, COOKIE, { path: PATH, secure: relayOrigin.startsWith('https:') });
  const match = /^([\w-]{43})\.([\w-]{1,64})\.([\w-]{16,128})$/.exec(raw);
  if (!match || !secretsEqual(match[1]!, tagOf(sessionCsrf))) return undefined;
  return { clientId: match[2]!, clientSecret: match[3]! };
}
