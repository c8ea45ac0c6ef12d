import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../clock.ts';
import type { SessionRow, UserRow } from '../store/schema.ts';
import { SESSION_LIFETIME_MS } from '../store/sessions-store.ts';
import type { Store } from '../store/store.ts';
import { forgetPreSessionToken } from './pre-session-token.ts';

const NAME = 'countersign_session';

/**
 * The relay session cookie's name (docs/protocol.md section 10): host-only always, and on https
 * `__Host-` so the browser itself refuses one set with a Domain or by a sibling subdomain, and
 * never sends it to a protected app. Reading takes only this name: on https an unprefixed
 * `countersign_session` (which a sibling could plant) names no session.
 */
export function sessionCookieName(relayOrigin: string): string {
  return relayOrigin.startsWith('https:') ? `__Host-${NAME}` : NAME;
}

export interface SignedInUser {
  user: UserRow;
  session: SessionRow;
  amr: string[];
}

/**
 * Starts a session and sets its cookie: HttpOnly, SameSite=Lax, Secure when the relay is on https.
 * Every sign-in, by any method, gets a new session id and a new CSRF token (no fixation): a
 * session the browser held before (say, a password-only one an approval upgrades, or one an
 * attacker planted) ends, and so does the signed-out forms' pre-session token.
 */
export async function startSession(
  c: Context,
  store: Store,
  clock: Clock,
  relayOrigin: string,
  userId: string,
  amr: string[],
): Promise<void> {
  const name = sessionCookieName(relayOrigin);
  const previous = getCookie(c, name);
  forgetPreSessionToken(c, relayOrigin);
  const { cookieValue } = await store.sessions.create(userId, amr, clock.now(), previous);
  // No Domain: host-only (and `__Host-` on https demands Secure, Path=/ and no Domain).
  setCookie(c, name, cookieValue, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: relayOrigin.startsWith('https:'),
    path: '/',
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
  // docs/protocol.md section 5: an answer that carries a session is never stored by a cache.
  c.header('Cache-Control', 'no-store');
}

export async function currentSession(c: Context, store: Store, clock: Clock, relayOrigin: string): Promise<SignedInUser | undefined> {
  const cookieValue = getCookie(c, sessionCookieName(relayOrigin));
  if (!cookieValue) return undefined;
  const session = await store.sessions.find(cookieValue, clock.now());
  if (!session) return undefined;
  const user = await store.users.byId(session.user_id);
  return user ? { user, session, amr: JSON.parse(session.amr) as string[] } : undefined;
}

/** The raw cookie value of this request's session, if any (to keep it when ending the others). */
export function sessionCookieValue(c: Context, relayOrigin: string): string | undefined {
  return getCookie(c, sessionCookieName(relayOrigin));
}

export async function endSession(c: Context, store: Store, relayOrigin: string): Promise<void> {
  const name = sessionCookieName(relayOrigin);
  const cookieValue = getCookie(c, name);
  if (cookieValue) await store.sessions.remove(cookieValue);
  deleteCookie(c, name, { path: '/', secure: relayOrigin.startsWith('https:') });
}
