import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { API_HEADERS, PAGE_HEADERS, withSecurityHeaders } from '../../../relay-server/http/security-headers.ts';
import { relayWithDevice } from '../helpers/test-relay.ts';

/** Every answer of a running relay, whatever produced it, carries the security headers. */
describe('security headers', () => {
  function expectHeaders(response: Response, headers: typeof PAGE_HEADERS): void {
    for (const [name, value] of headers) expect(response.headers.get(name), `${response.url} ${name}`).toBe(value);
  }

  it('are on pages, API answers, errors, 404s, the event stream and health checks, with the API set under /api/', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const pages = await Promise.all([fetch(`${relay.origin}/`), fetch(`${relay.origin}/healthz`), fetch(`${relay.origin}/nothing-here`)]);
    expect(pages.map((answer) => answer.status)).toEqual([200, 200, 404]);
    for (const answer of pages) expectHeaders(answer, PAGE_HEADERS);
    const api = await Promise.all([
      fetch(`${relay.origin}/api/v1/signins`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ upn: relay.user.upn }),
      }),
      fetch(`${relay.origin}/api/v1/signins/${created.requestId}`, { headers: { authorization: `Bearer ${created.browserToken}` } }),
      fetch(`${relay.origin}/api/v1/signins`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      fetch(`${relay.origin}/api/v1/nothing-here`),
    ]);
    expect(api.map((answer) => answer.status)).toEqual([201, 200, 400, 404]);
    // The create answer holds the browser token: no cache may keep it.
    for (const answer of api) expectHeaders(answer, API_HEADERS);

    const controller = new AbortController();
    const stream = await fetch(`${relay.origin}/api/v1/signins/${created.requestId}/events`, {
      headers: { authorization: `Bearer ${created.browserToken}` },
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The stream's own Cache-Control (no-cache) wins; the rest are the API's.
    expect(stream.headers.get('cache-control')).toBe('no-cache');
    expectHeaders(
      stream,
      API_HEADERS.filter(([name]) => name !== 'Cache-Control'),
    );
    controller.abort();
  });

  it('keep the CSPs that forbid framing and foreign scripts, and let JSON load nothing', () => {
    const page = new Map(PAGE_HEADERS).get('Content-Security-Policy');
    expect(page).toContain("frame-ancestors 'none'");
    expect(page).toContain("script-src 'self'");
    expect(page).toContain("default-src 'self'");
    expect(new Map(API_HEADERS).get('Content-Security-Policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('leave a header a route sets itself as the route set it', async () => {
    const server = createServer(
      withSecurityHeaders((_request, response) => {
        response.writeHead(200, { 'X-Frame-Options': 'DENY', 'content-type': 'text/plain' });
        response.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
