import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SECURITY_HEADERS, withSecurityHeaders } from '../../../relay-server/http/security-headers.ts';
import { relayWithDevice } from '../helpers/test-relay.ts';

/** Every answer of a running relay, whatever produced it, carries the security headers. */
describe('security headers', () => {
  function expectSecurityHeaders(response: Response): void {
    for (const [name, value] of SECURITY_HEADERS) expect(response.headers.get(name), name).toBe(value);
  }

  it('are on pages, API answers, errors, 404s, the event stream and health checks', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const answers = await Promise.all([
      fetch(`${relay.origin}/`),
      fetch(`${relay.origin}/healthz`),
      fetch(`${relay.origin}/api/v1/signins/${created.requestId}`, { headers: { authorization: `Bearer ${created.browserToken}` } }),
      fetch(`${relay.origin}/api/v1/signins`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      fetch(`${relay.origin}/api/v1/nothing-here`),
      fetch(`${relay.origin}/nothing-here`),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 400, 404, 404]);
    for (const answer of answers) expectSecurityHeaders(answer);

    const controller = new AbortController();
    const stream = await fetch(`${relay.origin}/api/v1/signins/${created.requestId}/events`, {
      headers: { authorization: `Bearer ${created.browserToken}` },
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectSecurityHeaders(stream);
    controller.abort();
  });

  it('keep the CSP that forbids framing and foreign scripts', () => {
    const csp = new Map(SECURITY_HEADERS).get('Content-Security-Policy');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
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
