import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { randomId } from '../../protocol/encoding.ts';
import { secretsEqual } from '../security/secrets.ts';

/**
 * CSRF protection for the pages' forms: a double-submit token (a random value in an HttpOnly,
 * SameSite=Strict cookie, repeated in a hidden field and compared in constant time) plus an
 * Origin check. On https the cookie takes the `__Host-` prefix so a sibling subdomain can't plant it.
 */
export const CSRF_FIELD = 'csrf';

const cookieName = (relayOrigin: string) => (relayOrigin.startsWith('https:') ? '__Host-countersign_csrf' : 'countersign_csrf');

/** The token for this browser's forms, set as a cookie the first time. */
export function csrfToken(c: Context, relayOrigin: string): string {
  const name = cookieName(relayOrigin);
  const existing = c.get('csrfToken' as never) as string | undefined;
  if (existing) return existing;
  let token = getCookie(c, name);
  if (!token || !/^[A-Za-z0-9_-]{22}$/.test(token)) {
    token = randomId();
    setCookie(c, name, token, { httpOnly: true, sameSite: 'Strict', secure: relayOrigin.startsWith('https:'), path: '/' });
  }
  c.set('csrfToken' as never, token as never);
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
 * Origin is foreign or the token is missing or wrong. File fields are ignored.
 */
export async function readProtectedForm(c: Context, relayOrigin: string): Promise<FormFields> {
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
  const cookie = getCookie(c, cookieName(relayOrigin));
  const field = form.value(CSRF_FIELD);
  if (!cookie || !field || !secretsEqual(cookie, field)) throw new CsrfError('token mismatch');
  return form;
}
