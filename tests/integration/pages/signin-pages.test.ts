import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, pageBrowser, pageRelay, testIdText } from './page-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
beforeAll(async () => {
  env = await pageRelay();
});
afterAll(async () => {
  await env.close();
});

describe('the sign-in page', () => {
  it('redirects / to the demo sign-in', async () => {
    const response = await env.relay.app.request(`${ORIGIN}/`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/signin?app=demo');
  });

  it('renders the username step, the waiting step and the status element with their test ids', async () => {
    const response = await env.relay.app.request(`${ORIGIN}/signin?app=demo`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('data-testid="upn-form"');
    expect(html).toMatch(/<input[^>]*id="upn"[^>]*name="upn"/);
    expect(html).toMatch(/<button type="submit" class="button">Next<\/button>/);
    expect(html).toContain('data-testid="match-number"');
    expect(html).toContain('data-testid="countdown"');
    expect(html).toContain('data-testid="signin-status"');
    expect(html).toContain('to continue to Countersign Demo');
    expect(html).toContain('href="/signin/password?app=demo"');
    expect(html).toContain('<noscript>');
  });

  it('loads its script and stylesheet from /assets, never inline', async () => {
    const html = await (await env.relay.app.request(`${ORIGIN}/signin?app=demo`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    const css = /href="(\/assets\/app\.css\?v=[^"]+)"/.exec(html)?.[1];
    const js = /src="(\/assets\/signin\.js\?v=[^"]+)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    expect(js).toBeDefined();
    const cssResponse = await env.relay.app.request(`${ORIGIN}${css}`);
    expect(cssResponse.status).toBe(200);
    expect(cssResponse.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(cssResponse.headers.get('cache-control')).toContain('immutable');
    const jsResponse = await env.relay.app.request(`${ORIGIN}${js}`);
    expect(jsResponse.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = jsResponse.headers.get('etag')!;
    const revalidated = await env.relay.app.request(`${ORIGIN}/assets/signin.js`, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
  });

  it('loads its scripts as ES modules whose imports name versioned URLs the relay serves', async () => {
    const html = await (await env.relay.app.request(`${ORIGIN}/signin?app=demo`)).text();
    expect(html).toMatch(/<script type="module" src="\/assets\/signin\.js\?v=[^"]+">/);
    expect(html).not.toMatch(/<script(?![^>]*\btype="module")[^>]*>/);
    const entry = /src="(\/assets\/signin\.js\?v=[^"]+)"/.exec(html)![1]!;
    const seen = new Set<string>();
    const queue = [entry];
    for (let url = queue.pop(); url !== undefined; url = queue.pop()) {
      if (seen.has(url)) continue;
      seen.add(url);
      const response = await env.relay.app.request(`${ORIGIN}${url}`);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('cache-control'), url).toContain('immutable');
      const source = await response.text();
      expect(source, `${url} imports a sibling without its version`).not.toMatch(/\bfrom\s*'\.\//);
      for (const [, imported] of source.matchAll(/\bfrom\s*'(\/assets\/[^']+)'/g)) queue.push(imported!);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('says clearly when the app is unknown', async () => {
    const response = await env.relay.app.request(`${ORIGIN}/signin?app=nope`);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('data-state="error"');
    expect(html).toContain('names an application this relay doesn&#39;t know');
    expect(html).not.toContain('data-testid="upn-form"');
  });

  it('sends the username step to the password page when the policy offers no passwordless sign-in', async () => {
    const policy = await env.relay.store.policy.get();
    await env.relay.store.policy.put({ ...policy, mode: 'push' }, env.clock.now());
    try {
      const html = await (await env.relay.app.request(`${ORIGIN}/signin?app=demo`)).text();
      expect(html).toContain('action="/signin/password"');
      expect(html).not.toContain('/assets/signin.js');
    } finally {
      await env.relay.store.policy.put(policy, env.clock.now());
    }
  });

  it('explains a pairing link opened in a browser without needing the token', async () => {
    const response = await env.relay.app.request(`${ORIGIN}/pair`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Open this link in the Countersign extension');
    expect(html).toContain('never sent to this server');
  });

  it('answers an unknown page with a 404 page', async () => {
    const response = await env.relay.app.request(`${ORIGIN}/no-such-page`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Page not found');
  });
});

describe('/me', () => {
  it('redirects to the sign-in page without a session', async () => {
    const response = await pageBrowser(env.relay, ORIGIN).get('/me');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/signin');
  });

  it('shows who is signed in and how', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    const html = await (await browser.get('/me')).text();
    expect(html).toContain('You&#39;re signed in as Alice Example');
    expect(testIdText(html, 'signed-in-as')).toBe('alice@demo.test');
    expect(testIdText(html, 'signed-in-method')).toBe('Password');
    expect(html).toContain('href="/security-info"');
    expect(html).not.toContain('href="/admin"');
  });

  it('links admins to the admin pages', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.signInWithPassword('admin@demo.test', 'countersign-admin');
    const html = await (await browser.get('/me')).text();
    expect(html).toContain('href="/admin"');
  });

  it('names each way of signing in', async () => {
    const { describeAmr } = await import('../../../relay-server/pages/page-session.ts');
    expect(describeAmr(['swk', 'pin', 'mfa'])).toBe('Approved in Countersign');
    expect(describeAmr(['pwd', 'swk', 'mfa'])).toBe('Password, then approved in Countersign');
    expect(describeAmr(['pwd'])).toBe('Password');
    expect(describeAmr(['otp'])).toBe('Temporary Access Pass');
  });

  it('signs out with a CSRF-protected form', async () => {
    const browser = pageBrowser(env.relay, ORIGIN);
    await browser.signInWithPassword('alice@demo.test', 'countersign-demo');
    await browser.get('/me');
    const refused = await browser.post('/signout', {}, { csrf: null });
    expect(refused.status).toBe(403);
    expect((await browser.get('/me')).status).toBe(200);
    const out = await browser.post('/signout', {});
    expect(out.status).toBe(303);
    expect((await browser.get('/me')).status).toBe(302);
  });
});
