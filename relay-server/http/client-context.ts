import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { describeUserAgent, type RequestContext } from '../signin/request-context.ts';

/** IP (X-Forwarded-For only behind a trusted proxy), browser and OS of whoever made the request. */
export function clientContext(c: Context, trustProxy: boolean): RequestContext {
  let ip = '';
  if (trustProxy) ip = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() ?? '';
  if (!ip) {
    try {
      ip = getConnInfo(c).remote.address ?? '';
    } catch {
      ip = '';
    }
  }
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return { ip: ip || 'unknown', ...describeUserAgent(c.req.header('user-agent')) };
}
