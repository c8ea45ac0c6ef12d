import type { Context } from 'hono';
import { normalizeHostname } from '../http/hostname.ts';

/** The request the proxy is asking about, as its four X-Forwarded headers describe it. */
export interface OriginalRequest {
  method: string;
  /** The URL the person asked for, rebuilt from proto, host and URI (`rd` on the way to sign in). */
  url: string;
  /** The hostname as section 1 compares them: what rules are looked up by. */
  hostname: string;
}

const MAX_URI_CHARS = 8192;

/**
 * Reads the original request from `X-Forwarded-Method`, `X-Forwarded-Proto`, `X-Forwarded-Host`
 * and `X-Forwarded-Uri` only (docs/protocol.md section 10), which the proxy sets over whatever the
 * client sent. Nothing else is read: not `Host`, not `X-Original-URL`, not `Forwarded`, which a
 * client could choose. Undefined (and the header at fault) when one is missing or malformed.
 */
export function originalRequest(c: Context): { ok: true; request: OriginalRequest } | { ok: false; header: string } {
  const method = c.req.header('x-forwarded-method')?.trim() ?? '';
  if (!/^[A-Za-z]{1,16}$/.test(method)) return { ok: false, header: 'X-Forwarded-Method' };
  const proto = c.req.header('x-forwarded-proto')?.trim().toLowerCase() ?? '';
  if (proto !== 'http' && proto !== 'https') return { ok: false, header: 'X-Forwarded-Proto' };
  const rawHost = c.req.header('x-forwarded-host')?.trim() ?? '';
  // One host: a list (`a, b`) means a client's own value was appended to, so it cannot be trusted.
  const hostname = /^[A-Za-z0-9.\-[\]:]+$/.test(rawHost) ? normalizeHostname(rawHost) : undefined;
  if (!hostname) return { ok: false, header: 'X-Forwarded-Host' };
  const uri = c.req.header('x-forwarded-uri') ?? '';
  if (!uri.startsWith('/') || uri.length > MAX_URI_CHARS || /[^\x21-\x7e]/.test(uri)) {
    return { ok: false, header: 'X-Forwarded-Uri' };
  }
  return { ok: true, request: { method: method.toUpperCase(), url: `${proto}://${rawHost.toLowerCase()}${uri}`, hostname } };
}
