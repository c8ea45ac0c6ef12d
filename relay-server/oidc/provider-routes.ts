import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context, type Next } from 'hono';
import { isProviderPath, type OpenIdProvider } from './openid-provider.ts';

/**
 * The OpenID Provider's own paths (discovery and `/oidc/*` but the interaction pages). It is a
 * Koa app: it gets the Node request and response that @hono/node-server passes as `c.env`, writes
 * its answer there, and Hono writes nothing more. Joined first in app.ts, so neither the relay's
 * body limit nor its request log applies: the provider reads and bounds its own bodies.
 */
export function providerRoutes(openid: OpenIdProvider) {
  const serve = (c: Context<{ Bindings: HttpBindings }>, next: Next) => {
    const { incoming, outgoing } = c.env ?? {};
    // The raw URL decides, as the listener did: `/oidc/interaction/…` is the relay's own pages.
    if (!isProviderPath(incoming?.url ?? new URL(c.req.url).pathname)) return next();
    if (!incoming || !outgoing) {
      return c.json({ error: 'server_error', error_description: 'The OpenID Provider answers on the relay’s Node server only.' }, 501);
    }
    openid.handle(incoming, outgoing);
    return Promise.resolve(RESPONSE_ALREADY_SENT);
  };
  return new Hono<{ Bindings: HttpBindings }>().all('/.well-known/openid-configuration', serve).all('/oidc/*', serve);
}
