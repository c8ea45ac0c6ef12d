import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { RelayDeps } from '../relay-deps.ts';
import { currentSession, sessionCookieValue, type SignedInUser } from '../session/browser-session.ts';
import { setForwardAuthCookie } from './forward-auth-cookie.ts';
import { approvalFreshEnough } from './forward-auth-decision.ts';
import { safeReturnUrl } from './return-url.ts';

/**
 * The way back to a protected site after signing in (docs/protocol.md section 10). The proxy sends
 * the person to `/signin?rd={the site's URL}` (with `step_up=1` when the site needs a fresher
 * approval). A person whose session already does gets the forward-auth cookie and goes straight
 * back; anyone else signs in as usual, every way of which lands on /me, which then sets the cookie
 * and sends them on. `rd` is kept ten minutes in an HttpOnly cookie of the relay's host, and only a
 * session started after it was kept takes it, as with session/return-to.ts.
 */
const COOKIE = 'countersign_forward_auth_rd';
const LIFETIME_SECONDS = 600;

async function ruleFor(deps: RelayDeps, url: string) {
  const rules = await deps.store.forwardAuth.rules();
  const hosts = new Set(rules.map((rule) => rule.host));
  const safe = safeReturnUrl(url, hosts);
  if (!safe) return undefined;
  const hostname = new URL(safe).hostname.toLowerCase().replace(/\.$/, '');
  const rule = rules.find((candidate) => candidate.host === hostname);
  return rule ? { url: safe, rule } : undefined;
}

/** Sets the forward-auth cookie for this browser's relay session and answers with the way back to `url`. */
async function returnWithCookie(c: Context, deps: RelayDeps, session: SignedInUser, url: string): Promise<Response> {
  const sessionCookie = sessionCookieValue(c, deps.relayOrigin())!;
  const now = deps.clock.now();
  const handle = await deps.store.forwardAuth.mintHandle(sessionCookie, now);
  setForwardAuthCookie(c, {
    relayOrigin: deps.relayOrigin(),
    cookieDomain: deps.config.cookieDomain,
    handle,
    lifetimeMs: session.session.expires_at - now,
  });
  c.header('Cache-Control', 'no-store');
  return c.redirect(url, 303);
}

/**
 * For `GET /signin`: with a usable `rd` and a session that satisfies the site's rule, the answer
 * that sends the person back at once; otherwise `rd` is remembered (an unusable one is ignored)
 * and the sign-in page shows as usual. `step_up=1` needs no handling of its own: a session whose
 * approval is too old for the rule does not satisfy it, so the page asks for a fresh approval.
 */
export async function returnToProtectedSite(c: Context, deps: RelayDeps): Promise<Response | undefined> {
  const rd = c.req.query('rd');
  if (rd === undefined) return undefined;
  const target = await ruleFor(deps, rd);
  if (!target) return undefined;
  const session = await currentSession(c, deps.store, deps.clock, deps.relayOrigin());
  const now = deps.clock.now();
  if (session && approvalFreshEnough(target.rule, { amr: session.amr, sessionCreatedAt: session.session.created_at }, now)) {
    return returnWithCookie(c, deps, session, target.url);
  }
  if (session && c.req.query('upn') === undefined) {
    // A fresh approval inside a session: the page asks the same person, their name already filled in.
    const url = new URL(c.req.url);
    url.searchParams.set('upn', session.user.upn);
    return c.redirect(`/signin${url.search}`, 302);
  }
  setCookie(c, COOKIE, `${now}|${target.url}`, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: deps.relayOrigin().startsWith('https:'),
    path: '/',
    maxAge: LIFETIME_SECONDS,
  });
  return undefined;
}

/**
 * Whether this browser is on its way back to a protected site: the password page then lets its
 * form's answer redirect off the relay's origin (its CSP has no `form-action 'self'`), as for an app.
 */
export function returningToProtectedSite(c: Context): boolean {
  return getCookie(c, COOKIE) !== undefined;
}

/** For /me: the way back to the protected site this sign-in was for, if any, with the forward-auth cookie. */
export async function takeProtectedSiteReturn(c: Context, deps: RelayDeps, session: SignedInUser): Promise<Response | undefined> {
  const raw = getCookie(c, COOKIE);
  if (raw === undefined) return undefined;
  const match = /^(\d{1,15})\|(.*)$/s.exec(raw);
  if (match && Number(match[1]) > session.session.created_at) return undefined; // kept after this session began
  deleteCookie(c, COOKIE, { path: '/', secure: deps.relayOrigin().startsWith('https:') });
  if (!match || deps.clock.now() - Number(match[1]) > LIFETIME_SECONDS * 1000) return undefined;
  // Checked again: the rules may have changed in the meantime.
  const target = await ruleFor(deps, match[2]!);
  return target ? returnWithCookie(c, deps, session, target.url) : undefined;
}
