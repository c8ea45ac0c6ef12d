// A small app that signs its users in through Countersign with OpenID Connect, using
// openid-client (https://github.com/panva/openid-client). Copy it: the whole integration is
// discovery, a redirect with PKCE, and the code exchange in /callback.
//
//   ISSUER=http://127.0.0.1:8787 CLIENT_ID=… CLIENT_SECRET=… npx tsx examples/sample-app/server.ts
//
// `npm start` runs it beside the demo relay with the demo's registered sample app.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';

export interface SampleAppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  port: number;
  /**
   * Where browsers reach this app: its /callback must be a registered redirect URI, and its home
   * (`${appUrl}/`) a registered post-logout redirect URI for "Sign out" to come back here.
   */
  appUrl?: string;
}

/** What the app remembers per browser: the sign-in it started, or the person it signed in. */
interface BrowserState {
  pending?: { codeVerifier: string; nonce: string; state: string };
  claims?: oidc.IDToken;
  idToken?: string;
  /** The state of a sign-out in progress: Countersign sends it back with the browser. */
  signingOut?: string;
}

export async function startSampleApp(options: SampleAppOptions): Promise<{ url: string; close(): Promise<void> }> {
  const appUrl = options.appUrl ?? `http://localhost:${options.port}`;
  const redirectUri = `${appUrl}/callback`;
  const homeUri = `${appUrl}/`;
  const issuer = new URL(options.issuer);
  // Plain http is for a relay on this computer only; a real relay is https.
  const config = await oidc.discovery(issuer, options.clientId, options.clientSecret, undefined, {
    execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
  });
  const browsers = new Map<string, BrowserState>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', appUrl);
    const { state } = browserState(req, res, browsers);
    if (url.pathname === '/login') {
      const pending = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce(), state: oidc.randomState() };
      state.pending = pending;
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email groups',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        nonce: pending.nonce,
        state: pending.state,
      });
      return redirect(res, target.href);
    }
    if (url.pathname === '/callback') {
      const pending = state.pending;
      delete state.pending;
      if (url.searchParams.get('error'))
        return page(
          res,
          'Not signed in',
          `<p data-testid="app-error">${escape(describeError(url))}</p><p><a href="/login">Try again</a></p>`,
        );
      if (!pending) return page(res, 'Not signed in', '<p>This sign-in was not started here. <a href="/login">Sign in</a></p>', 400);
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedNonce: pending.nonce,
        expectedState: pending.state,
      });
      state.claims = tokens.claims();
      state.idToken = tokens.id_token;
      return redirect(res, '/');
    }
    if (url.pathname === '/logout') {
      const idToken = state.idToken;
      // Signed out here at once; Countersign then asks the person and sends them back home.
      delete state.claims;
      delete state.idToken;
      if (!idToken) return redirect(res, '/');
      state.signingOut = oidc.randomState();
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: homeUri, state: state.signingOut });
      return redirect(res, end.href);
    }
    if (url.pathname !== '/') return page(res, 'Not found', '<p>There is nothing here.</p>', 404);
    const returnedState = url.searchParams.get('state');
    if (returnedState !== null && returnedState === state.signingOut) {
      delete state.signingOut;
      return page(
        res,
        'Sample App',
        '<p data-testid="app-signed-out">You signed out.</p><p><a class="button" data-testid="app-login" href="/login">Sign in again</a></p>',
      );
    }
    if (!state.claims)
      return page(
        res,
        'Sample App',
        '<p>You are not signed in.</p><p><a class="button" data-testid="app-login" href="/login">Sign in with Countersign</a></p>',
      );
    const claims = state.claims;
    return page(
      res,
      'Sample App',
      `<p data-testid="app-welcome">Signed in as <strong>${escape(typeof claims.name === 'string' ? claims.name : claims.sub)}</strong> (${escape(typeof claims.preferred_username === 'string' ? claims.preferred_username : '')}).</p>
       <p>The ID token's claims:</p><pre data-testid="app-claims">${escape(JSON.stringify(claims, null, 2))}</pre>
       <p><a href="/logout">Sign out</a></p>`,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      page(res, 'Sign-in failed', `<p>${escape(error instanceof Error ? error.message : 'Unknown error')}</p>`, 500),
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    url: appUrl,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Browsers keep idle connections open; close would wait for them.
        server.closeAllConnections();
      }),
  };
}

function describeError(url: URL): string {
  const error = url.searchParams.get('error');
  if (error === 'access_denied') return 'The sign-in was denied or cancelled, so you are not signed in.';
  return `Countersign answered ${error}: ${url.searchParams.get('error_description') ?? 'no details'}.`;
}

function browserState(req: IncomingMessage, res: ServerResponse, browsers: Map<string, BrowserState>) {
  const cookie = /(?:^|;\s*)sample_app=([\w-]{22,})/.exec(req.headers.cookie ?? '')?.[1];
  if (cookie && browsers.has(cookie)) return { id: cookie, state: browsers.get(cookie)! };
  const id = randomBytes(16).toString('base64url');
  const state: BrowserState = {};
  browsers.set(id, state);
  res.setHeader('Set-Cookie', `sample_app=${id}; HttpOnly; SameSite=Lax; Path=/`);
  return { id, state };
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(303, { location }).end();
}

function page(res: ServerResponse, title: string, body: string, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f6;padding:1rem;overflow:auto}.button{display:inline-block;background:#1f4fd8;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`,
  );
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const port = Number(env.PORT ?? 3000);
  const app = await startSampleApp({
    issuer: env.ISSUER ?? 'http://127.0.0.1:8787',
    clientId: env.CLIENT_ID ?? 'sample-app',
    clientSecret: env.CLIENT_SECRET ?? 'countersign-sample-app-demo-secret',
    port,
    ...(env.APP_URL ? { appUrl: env.APP_URL } : {}),
  });
  console.log(`Sample app: ${app.url} (signs in through ${env.ISSUER ?? 'http://127.0.0.1:8787'})`);
}
