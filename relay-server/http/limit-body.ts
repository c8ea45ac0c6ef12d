import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses bodies over `maxSize` bytes. Hono's `bodyLimit` starts by reading `c.req.raw.body`,
 * which builds a full web Request for every request, GETs included (a bare Hono answered a third
 * as many requests; docs/performance.md). HTTP/1.1 says a request without
 * Content-Length or Transfer-Encoding has no body, and Node's parser never delivers more than a
 * Content-Length declares; so the header decides, and only a chunked body is counted by
 * `bodyLimit` as it arrives.
 */
export function limitBody(maxSize: number, onError: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxSize) return onError(c);
    return next();
  };
}
