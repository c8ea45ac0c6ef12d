import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ApiError } from '../api-error.ts';
import { errorResponse } from '../http/error-body.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { readForwardAuthCookie } from './forward-auth-cookie.ts';
import { decide } from './forward-auth-decision.ts';
import { ForwardAuth } from './forward-auth.ts';
import { forbiddenPage } from './forbidden-page.ts';
import { originalRequest } from './original-request.ts';
import { remoteHeaders } from './remote-headers.ts';
import { TrustedProxies } from '../http/trusted-proxies.ts';

/** The sign-in page a person is sent to for a protected site, with the site's URL as `rd`. */
export function signinUrl(relayOrigin: string, rd: string, stepUp: boolean): string {
  return `${relayOrigin}/signin?rd=${encodeURIComponent(rd)}${stepUp ? '&step_up=1' : ''}`;
}

/**
 * `GET /api/v1/forward-auth` (docs/protocol.md section 10): the check a reverse proxy makes before
 * each request to a protected app. One cached lookup of the cookie's handle, no database write.
 */
export function forwardAuthRoutes(deps: RelayDeps) {
  const forwardAuth = ForwardAuth.of(deps);
  const proxies = deps.config.forwardAuthProxies ?? TrustedProxies.defaults();
  return new Hono().get('/', async (c) => {
    let peer = '';
    try {
      peer = getConnInfo(c).remote.address ?? '';
    } catch {
      peer = '';
    }
    // Only the proxies themselves may ask: anyone else could make up the X-Forwarded headers.
    if (!proxies.includes(peer)) throw new ApiError(403, 'forbidden', 'Only the reverse proxies in FORWARD_AUTH_PROXIES may ask this.');
    const original = originalRequest(c);
    if (!original.ok) throw new ApiError(400, 'invalid_request', `${original.header} is missing or malformed; the proxy must set it.`);
    const { request } = original;
    c.header('Cache-Control', 'no-store');
    const handle = readForwardAuthCookie(c, deps.relayOrigin());
    const [rules, holder] = await Promise.all([forwardAuth.rules.byHost(), handle ? forwardAuth.holders.holder(handle) : undefined]);
    const decision = decide(rules.get(request.hostname), holder, deps.clock.now());
    switch (decision.kind) {
      case 'allow':
        return c.body(null, 200, remoteHeaders(decision.holder));
      case 'forbid':
        if ((c.req.header('accept') ?? '').includes('text/html')) return c.html(forbiddenPage(deps.relayOrigin(), decision.reason), 403);
        return errorResponse(
          c,
          new ApiError(
            403,
            'forbidden',
            decision.reason === 'no_rule' ? 'No forward-auth rule names this host.' : 'This account is not in a group the rule allows.',
          ),
        );
      case 'signin': {
        const location = signinUrl(deps.relayOrigin(), request.url, decision.stepUp);
        if (c.req.query('mode') === 'redirect') return c.redirect(location, 302);
        // nginx reads Location from the 401 (auth_request_set) to send the person to sign in.
        c.header('Location', location);
        return errorResponse(
          c,
          new ApiError(401, 'unauthorized', decision.stepUp ? 'This site needs a fresh approval.' : 'Sign in first.'),
        );
      }
    }
  });
}
