import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { RelayToDeviceMessage } from '../../../protocol/messages.ts';
import { ManualClock } from '../../../relay-server/clock.ts';
import { InProcessFanout } from '../../../relay-server/hub/fanout.ts';
import { loadConfig } from '../../../relay-server/config.ts';
import { createRelay, type Relay } from '../../../relay-server/relay.ts';
import { CookieJar } from '../helpers/cookie-jar.ts';

export const ORIGIN = 'http://relay.test';

/** An in-process fan-out that also remembers what it sent to devices. */
class RecordingFanout extends InProcessFanout {
  readonly sent: { deviceId: string; message: RelayToDeviceMessage }[] = [];
  override sendToDevice(deviceId: string, message: RelayToDeviceMessage): void {
    this.sent.push({ deviceId, message });
    super.sendToDevice(deviceId, message);
  }
}

/** A demo relay built in memory (no port): pages are exercised through `app.request()`. */
export async function pageRelay(
  env: Record<string, string> = {},
): Promise<{ relay: Relay; clock: ManualClock; origin: string; sentToDevices: RecordingFanout['sent']; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-pages-'));
  const origin = env.RELAY_ORIGIN ?? ORIGIN;
  // http://relay.test is not loopback: fine here, where no byte leaves the process.
  const { config } = loadConfig({
    DATA_DIR: dataDir,
    COUNTERSIGN_DEMO: '1',
    RELAY_ORIGIN: origin,
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ALLOW_INSECURE_ORIGIN: '1',
    ...env,
  });
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
  const fanout = new RecordingFanout();
  const relay = await createRelay({ config, clock, fanout, logger: pino({ level: 'silent' }) });
  return {
    relay,
    clock,
    origin,
    sentToDevices: fanout.sent,
    async close() {
      await relay.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Just enough of a browser for server-rendered pages: a cookie jar, the Origin header a form post
 * carries, and the CSRF token read from the last page.
 */
export class PageBrowser {
  readonly cookies = new CookieJar();
  lastHtml = '';

  constructor(
    private readonly relay: Relay,
    private readonly origin: string,
  ) {}

  async get(pathname: string): Promise<Response> {
    const response = await this.relay.app.request(`${this.origin}${pathname}`, { headers: this.cookieHeader() });
    await this.remember(response);
    return response;
  }

  /** Posts a form with this browser's cookies, its CSRF token (unless given) and Origin. */
  async post(
    pathname: string,
    fields: Record<string, string>,
    options: { origin?: string | null; csrf?: string | null } = {},
  ): Promise<Response> {
    const body = new URLSearchParams(fields);
    const csrf = options.csrf === undefined ? this.csrfToken() : options.csrf;
    if (csrf !== null) body.set('csrf', csrf);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader() };
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    const response = await this.relay.app.request(`${this.origin}${pathname}`, { method: 'POST', headers, body: body.toString() });
    await this.remember(response);
    return response;
  }

  /** Calls the JSON API as the pages' scripts do: same origin, with this browser's cookies. */
  async api(method: string, pathname: string, options: { bearer?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.cookieHeader() };
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    const response = await this.relay.app.request(`${this.origin}${pathname}`, { method, headers });
    await this.remember(response);
    return response;
  }

  /** Signs in through the password page. */
  async signInWithPassword(upn: string, password: string): Promise<Response> {
    await this.get(`/signin/password?app=demo&upn=${encodeURIComponent(upn)}`);
    return this.post('/signin/password', { upn, password, app: 'demo' });
  }

  csrfToken(): string {
    const match = /name="csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (!match?.[1]) throw new Error('no CSRF token on the last page');
    return match[1];
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.header();
  }

  private async remember(response: Response): Promise<void> {
    this.cookies.remember(response);
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.lastHtml = await response.clone().text();
  }
}

/** The text inside the first element carrying this test id (tags stripped, entities left alone). */
export function testIdText(html: string, testId: string): string | undefined {
  const match = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]?.replace(/<[^>]*>/g, '').trim();
}
