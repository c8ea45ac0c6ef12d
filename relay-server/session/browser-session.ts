import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../clock.ts';
import { forgetPreSessionToken } from '../pages/csrf.ts';
import type { SessionRow, UserRow } from '../store/schema.ts';
import { SESSION_LIFETIME_MS } from '../store/sessions-store.ts';
import type { Store } from '../store/store.ts';

export const SESSION_COOKIE = 'countersign_session';

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
  const previous = getCookie(c, SESSION_COOKIE);
  forgetPreSessionToken(c, relayOrigin);
  const { cookieValue } = await store.sessions.create(userId, amr, clock.now(), previous);
  setCookie(c, SESSION_COOKIE, cookieValue, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: relayOrigin.startsWith('https:'),
    path: '/',
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
  // docs/protocol.md section 5: an answer that carries a session is never stored by a cache.
  c.header('Cache-Control', 'no-store');
}

export async function currentSession(c: Context, store: Store, clock: Clock): Promise<SignedInUser | undefined> {
  const cookieValue = getCookie(c, SESSION_COOKIE);
  if (!cookieValue) return undefined;
  const session = await store.sessions.find(cookieValue, clock.now());
  if (!session) return undefined;
  const user = await store.users.byId(session.user_id);
  return user ? { user, session, amr: JSON.parse(session.amr) as string[] } : undefined;
}

/** The raw cookie value of this request's session, if any (to keep it when ending the others). */
export function sessionCookieValue(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export async function endSession(c: Context, store: Store): Promise<void> {
  const cookieValue = getCookie(c, SESSION_COOKIE);
  if (cookieValue) await store.sessions.remove(cookieValue);
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}
