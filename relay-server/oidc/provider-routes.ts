import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context, type Next } from 'hono';
import inject from 'light-my-request';
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
    if (!incoming || !outgoing) return throughSimulatedNode(c.req.raw, openid);
    openid.handle(incoming, outgoing);
    return Promise.resolve(RESPONSE_ALREADY_SENT);
  };
  return new Hono<{ Bindings: HttpBindings }>().all('/.well-known/openid-configuration', serve).all('/oidc/*', serve);
}

/**
 * Without Node's request and response (`app.request()` in tests, a fetch-only runtime), the
 * provider answers a simulated pair, and its answer comes back as a fetch Response.
 */
async function throughSimulatedNode(request: Request, openid: OpenIdProvider): Promise<Response> {
  const url = new URL(request.url);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const answer = await inject((req, res) => void openid.handle(req, res), {
    method: request.method as 'GET',
    url: url.pathname + url.search,
    // A fetch Request carries its host in its URL, not in its headers; the provider reads the header.
    headers: { host: url.host, ...Object.fromEntries(request.headers) },
    ...(hasBody ? { payload: Buffer.from(await request.arrayBuffer()) } : {}),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, String(one));
  }
  const empty = answer.statusCode === 204 || answer.statusCode === 304 || request.method === 'HEAD';
  return new Response(empty ? null : new Uint8Array(answer.rawPayload), { status: answer.statusCode, headers });
}
