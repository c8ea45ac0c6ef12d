import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** The page policy: our own scripts, styles and images (QR codes are data: URLs), never framed. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'";

/**
 * What every page carries: the set Hono's `secureHeaders` sends by default, with our CSP and
 * `Referrer-Policy: no-referrer`. They are set on the Node response before Hono runs instead of
 * by that middleware, which rewrote each response's `Headers` after the handler and halved a bare
 * Hono's requests per second (figures in docs/performance.md). A header a
 * route sets itself still wins, as `writeHead` takes precedence over `setHeader`.
 */
export const PAGE_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/**
 * What every answer under /api/ carries: OWASP's set for REST APIs. JSON is never a document, so
 * nothing may load or frame it, and answers holding tokens (a sign-in's browser token, say) must
 * not be stored by any cache. The document-only headers above would only be bytes on every call.
 */
export const API_HEADERS: readonly (readonly [string, string])[] = [
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];

/** Wraps the HTTP server's request listener so every response starts with the headers above. */
export function withSecurityHeaders(
  listener: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const headers = request.url?.startsWith('/api/') ? API_HEADERS : PAGE_HEADERS;
    for (const [name, value] of headers) response.setHeader(name, value);
    // Hono's listener answers its own errors (a 500), so its promise needs no handler here.
    void listener(request, response);
  };
}
