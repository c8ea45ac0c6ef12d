import { CookieJar } from '../../integration/helpers/cookie-jar.ts';

/**
 * A browser for the server-rendered pages over real HTTP: a cookie jar, the Origin header a form
 * post carries, redirects not followed, and the CSRF token read from the last HTML page.
 */
export class CookieBrowser {
  readonly cookies = new CookieJar();
  lastHtml = '';

  constructor(readonly origin: string) {}

  async get(pathname: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.remember(await fetch(`${this.origin}${pathname}`, { headers: { ...this.cookieHeader(), ...headers }, redirect: 'manual' }));
  }

  /** Posts a form with this browser's cookies and Origin, and the CSRF token of the last page unless given. */
  async post(pathname: string, fields: Record<string, string>, options: { csrf?: string } = {}): Promise<Response> {
    const body = new URLSearchParams(fields);
    body.set('csrf', options.csrf ?? this.csrfToken());
    const response = await fetch(`${this.origin}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...this.cookieHeader() },
      body: body.toString(),
      redirect: 'manual',
    });
    return this.remember(response);
  }

  /** Signs in on the password page; resolves with the answer to the post (303 to /me when right). */
  async signInWithPassword(upn: string, password: string): Promise<Response> {
    await this.get(`/signin/password?upn=${encodeURIComponent(upn)}`);
    return this.post('/signin/password', { upn, password });
  }

  /** Completes an approved sign-in from this browser, as the sign-in page's script does (the session cookie lands here). */
  async completeSignin(signin: { requestId: string; browserToken: string }): Promise<Response> {
    const response = await fetch(`${this.origin}/api/v1/signins/${signin.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signin.browserToken}`, ...this.cookieHeader() },
    });
    this.rememberCookies(response);
    return response;
  }

  csrfToken(): string {
    const match = /name="csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (!match?.[1]) throw new Error('no CSRF token on the last page');
    return match[1];
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.header();
  }

  private rememberCookies(response: Response): void {
    this.cookies.remember(response);
  }

  private async remember(response: Response): Promise<Response> {
    this.rememberCookies(response);
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastHtml = await response.clone().text();
    return response;
  }
}
