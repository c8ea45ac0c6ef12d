import { CookieJar } from '../../../testing/cookie-jar.ts';
/**
 * A client at a given address, behind the relay's one trusted proxy (TRUST_PROXY=1): every request
 * carries `X-Forwarded-For: {ip}` as the proxy would write it, and a cookie jar, so one test can
 * play the real user's browser and strangers elsewhere side by side.
 */
export class ClientAt {
  readonly cookies = new CookieJar();

  constructor(
    readonly origin: string,
    readonly ip: string,
  ) {}

  /** `POST /api/v1/signins` from here; status, parsed body and headers. */
  async startSignin(body: { upn: string; password?: string; by?: 'push' | 'code' }) {
    const response = await fetch(`${this.origin}/api/v1/signins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers() },
      body: JSON.stringify(body),
    });
    this.rememberCookies(response);
    return { status: response.status, body: await response.json(), headers: response.headers };
  }

  /** Cancels a request this client made (frees its pending slot). */
  async cancel(created: { requestId: string; browserToken: string }): Promise<number> {
    const response = await fetch(`${this.origin}/api/v1/signins/${created.requestId}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.browserToken}`, ...this.headers() },
    });
    await response.arrayBuffer();
    return response.status;
  }

  async status(created: { requestId: string; browserToken: string }): Promise<string> {
    const response = await fetch(`${this.origin}/api/v1/signins/${created.requestId}`, {
      headers: { authorization: `Bearer ${created.browserToken}`, ...this.headers() },
    });
    return ((await response.json()) as { status: string }).status;
  }

  /** Completes an approved request here, as the sign-in page's script does: the session (and familiar-browser) cookies land in this jar. */
  async complete(created: { requestId: string; browserToken: string }): Promise<number> {
    const response = await fetch(`${this.origin}/api/v1/signins/${created.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.browserToken}`, ...this.headers() },
    });
    this.rememberCookies(response);
    await response.arrayBuffer();
    return response.status;
  }

  /** Signs in on the password page from here (a password or a TAP in the same field). */
  async passwordPage(upn: string, secret: string): Promise<{ status: number; html: string; headers: Headers }> {
    const page = await fetch(`${this.origin}/signin/password?upn=${encodeURIComponent(upn)}`, {
      headers: this.headers(),
      redirect: 'manual',
    });
    this.rememberCookies(page);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const response = await fetch(`${this.origin}/signin/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...this.headers() },
      body: new URLSearchParams({ upn, password: secret, csrf }).toString(),
      redirect: 'manual',
    });
    this.rememberCookies(response);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  /**
   * Opens a request's event stream from here and keeps it open until `close()`: the status and,
   * for a 200, the stream itself.
   */
  async openStream(created: {
    requestId: string;
    browserToken: string;
  }): Promise<{ status: number; retryAfter: string | null; close(): void }> {
    const controller = new AbortController();
    const response = await fetch(`${this.origin}/api/v1/signins/${created.requestId}/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${created.browserToken}`, ...this.headers() },
      signal: controller.signal,
    });
    if (response.status !== 200) await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), close: () => controller.abort() };
  }

  /** A GET from here, redirects not followed (an app's authorization request, a page). */
  async get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(new URL(url, this.origin), { headers: this.headers(), redirect: 'manual' });
    this.rememberCookies(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip };
    Object.assign(headers, this.cookies.header());
    return headers;
  }

  private rememberCookies(response: Response): void {
    this.cookies.remember(response);
  }
}
