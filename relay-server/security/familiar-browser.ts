import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie a browser gets when a user signs in from it (any method): it is then familiar. */
export const FAMILIAR_COOKIE = 'countersign_familiar';
export const FAMILIAR_LIFETIME_MS = 90 * 86_400_000;

/**
 * Familiar browsers, as Entra's smart lockout treats familiar locations: a browser that a user
 * last signed in from successfully holds `{userId}.{expiresAt}.{HMAC-SHA256}` (the key is made by
 * the relay on first start, store/relay-secrets.ts). When strangers have spent a user's per-user
 * backstop, only that user's familiar browsers may still ask (signin-service.ts). The key is read
 * lazily: the sign-in path verifies a cookie only when a backstop is reached.
 */
export class FamiliarBrowsers {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly loadKey: () => Promise<Buffer>,
    private readonly now: () => number,
  ) {}

  /** The cookie value that makes this browser familiar for `userId` for FAMILIAR_LIFETIME_MS. */
  async issue(userId: string): Promise<string> {
    const payload = `${Buffer.from(userId, 'utf8').toString('base64url')}.${this.now() + FAMILIAR_LIFETIME_MS}`;
    return `${payload}.${await this.mac(payload)}`;
  }

  /** Whether `cookie` (as the browser sent it) is a valid, unexpired one for `userId`. */
  async verify(cookie: string | undefined, userId: string): Promise<boolean> {
    if (!cookie || cookie.length > 512) return false;
    const parts = cookie.split('.');
    if (parts.length !== 3) return false;
    const [encodedUser, expiresAt, mac] = parts as [string, string, string];
    const payload = `${encodedUser}.${expiresAt}`;
    const expected = Buffer.from(await this.mac(payload));
    const given = Buffer.from(mac);
    // MAC lengths are public; compare the bytes in constant time.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    if (!/^\d{1,16}$/.test(expiresAt) || Number(expiresAt) <= this.now()) return false;
    return Buffer.from(encodedUser, 'base64url').toString('utf8') === userId;
  }

  private async mac(payload: string): Promise<string> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return createHmac('sha256', await this.key)
      .update(payload, 'utf8')
      .digest('base64url');
  }
}
