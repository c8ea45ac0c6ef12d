import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ID_PATTERN, randomId } from '../../protocol/encoding.ts';
import { secretsEqual } from '../security/secrets.ts';
import { PRE_SESSION_TOKEN_KEY, preSessionCookieName } from '../session/pre-session-token.ts';

/**
 * CSRF protection for the pages' forms, always with an Origin check, and a token in a hidden
 * field compared in constant time:
 * - a signed-in user's forms carry the token of THEIR session (`sessions.csrf_token`, new with
 *   every session, so every sign-in rotates it, and a token read from another session is refused);
 * - signed-out forms (sign-in, password) carry a pre-session token: a random value in an HttpOnly,
 *   SameSite=Strict cookie, repeated in the field (double submit). Signing in deletes that cookie,
 *   so the next signed-out form gets a new one. On https the cookie takes the `__Host-` prefix so
 *   a sibling subdomain can't plant it.
 */
export const CSRF_FIELD = 'csrf';

/** The pre-session token for this browser's signed-out forms, set as a cookie the first time. */
export function csrfToken(c: Context, relayOrigin: string): string {
  const name = preSessionCookieName(relayOrigin);
  const existing = c.get(PRE_SESSION_TOKEN_KEY as never) as string | undefined;
  if (existing) return existing;
  let token = getCookie(c, name);
  if (!token || !ID_PATTERN.test(token)) {
    token = randomId();
    setCookie(c, name, token, { httpOnly: true, sameSite: 'Strict', secure: relayOrigin.startsWith('https:'), path: '/' });
  }
  c.set(PRE_SESSION_TOKEN_KEY as never, token as never);
  return token;
}

export class CsrfError extends Error {}

/** A posted form: `value()` is a field's last string value, `values()` all of them (checkbox lists). */
export interface FormFields {
  value(name: string): string | undefined;
  values(name: string): string[];
}

/**
 * Parses a urlencoded or multipart form posted from one of our pages; throws CsrfError when the
 * Origin is foreign or the token is missing or wrong. With `session` (a signed-in user's form) the
 * token must be that session's; without, the pre-session cookie's. File fields are ignored.
 */
export async function readProtectedForm(c: Context, relayOrigin: string, session?: { csrf_token: string }): Promise<FormFields> {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== relayOrigin) throw new CsrfError('foreign origin');
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') throw new CsrfError('cross-site request');
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) throw new CsrfError('not a form');
  let body: Record<string, string | File | (string | File)[]>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    throw new CsrfError('unreadable form');
  }
  const values = (name: string): string[] => {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((item): item is string => typeof item === 'string');
  };
  const form: FormFields = { values, value: (name) => values(name).at(-1) };
  const expected = session ? session.csrf_token : getCookie(c, preSessionCookieName(relayOrigin));
  const field = form.value(CSRF_FIELD);
  if (!expected || !field || !secretsEqual(expected, field)) throw new CsrfError('token mismatch');
  return form;
}
