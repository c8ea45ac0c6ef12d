import { CookieJar } from './cookie-jar.ts';

/** Where a browser's requests go: the network (fetch), or a Hono app in this process (`app.request`). */
export interface InProcessApp {
  request(url: string, init: RequestInit): Response | Promise<Response>;
}

export interface CookieBrowserOptions {
  /** Sends every request to this app in-process instead of over the network. */
  app?: InProcessApp;
  /** The app (client id) `signInWithPassword` names as `?app=`, as a link from that app would; none unless given. */
  signInApp?: string;
}

/** What `load` tells of one answer. */
export interface LoadedPage {
  status: number;
  /** The redirect's target, as sent. */
  location: string | null;
  text: string;
}

/**
 * Just enough of a browser for the relay's server-rendered pages and its OpenID Connect
 * redirects: a cookie jar, redirects never followed unless asked (so a test stops where a person
 * would act), the Origin header a form post carries, and the CSRF token read from the last HTML
 * page. Paths are on `origin`; a full URL may go anywhere (an app's origin), sharing the one jar.
 */
export class CookieBrowser {
  readonly cookies = new CookieJar();
  lastHtml = '';

  constructor(
    readonly origin: string,
    private readonly options: CookieBrowserOptions = {},
  ) {}

  async get(target: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(target, { headers: { ...this.cookies.header(), ...headers } });
  }

  /** Posts a form with this browser's cookies, its Origin (null: none) and the last page's CSRF token (unless given; null: none). */
  async post(
    target: string | URL,
    fields: Record<string, string>,
    options: { origin?: string | null; csrf?: string | null } = {},
  ): Promise<Response> {
    const body = new URLSearchParams(fields);
    const csrf = options.csrf === undefined ? this.csrfToken() : options.csrf;
    if (csrf !== null) body.set('csrf', csrf);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...this.cookies.header() };
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    return this.send(target, { method: 'POST', headers, body: body.toString() });
  }

  /** Calls the JSON API as the pages' scripts do: same origin, with this browser's cookies. */
  async api(method: string, target: string | URL, options: { bearer?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.cookies.header() };
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    return this.send(target, { method, headers });
  }

  /** Signs in on the password page; resolves with the answer to the post (303 when right). */
  async signInWithPassword(upn: string, password: string): Promise<Response> {
    const app = this.options.signInApp;
    await this.get(`/signin/password?${app === undefined ? '' : `app=${encodeURIComponent(app)}&`}upn=${encodeURIComponent(upn)}`);
    return this.post('/signin/password', { upn, password, ...(app === undefined ? {} : { app }) });
  }

  /** Completes an approved sign-in from this browser, as the sign-in page's script does (the session cookie lands here). */
  async completeSignin(signin: { requestId: string; browserToken: string }): Promise<Response> {
    return this.send(`/api/v1/signins/${signin.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signin.browserToken}`, ...this.cookies.header() },
    });
  }

  /** One GET, no redirect followed, the body read: the status, where it points, and the text. */
  async load(target: string | URL): Promise<LoadedPage> {
    const response = await this.get(target);
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }

  /** Follows redirects until one leaves `within` (an app's callback) or a page is shown. */
  async follow(target: string | URL, within = this.origin, maxHops = 10): Promise<{ url: URL; status: number; text: string }> {
    let current = new URL(target, within);
    for (let hop = 0; hop < maxHops; hop++) {
      if (current.origin !== within) return { url: current, status: 0, text: '' };
      const answer = await this.load(current);
      if (answer.status < 300 || answer.status >= 400 || !answer.location)
        return { url: current, status: answer.status, text: answer.text };
      current = new URL(answer.location, current);
    }
    throw new Error(`more than ${maxHops} redirects`);
  }

  csrfToken(): string {
    const match = /name="csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (!match?.[1]) throw new Error('no CSRF token on the last page');
    return match[1];
  }

  private async send(target: string | URL, init: RequestInit): Promise<Response> {
    // A path is taken as written (`//x` stays a path), not resolved as a URL would be.
    const url = typeof target === 'string' && target.startsWith('/') ? `${this.origin}${target}` : String(target);
    const response = this.options.app ? await this.options.app.request(url, init) : await fetch(url, { ...init, redirect: 'manual' });
    this.cookies.remember(response);
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastHtml = await response.clone().text();
    return response;
  }
}
