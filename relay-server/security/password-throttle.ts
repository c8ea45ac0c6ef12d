/** Failed password or TAP attempts one client may make for one sign-in name in a window before it must wait. */
export const MAX_FAILED_PASSWORDS = 10;
export const PASSWORD_WINDOW_MS = 15 * 60_000;
/**
 * The backstops, ten times the per-client limit per window: failures for one name from every
 * client together, and failures from one client across every name (password spraying). Beyond
 * them only the user's familiar browsers may still try (security/familiar-browser.ts).
 */
export const BACKSTOP_FACTOR = 10;

/** Which limit refused: this client for this name, every client for this name, or this client for every name. */
export type ThrottleScope = 'client' | 'user' | 'spray';

export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: ThrottleScope; retryAfterMs: number };

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Slows down password guessing without letting anyone lock a user out (docs/protocol.md section 5):
 * failures are counted per sign-in name AND client key (IPv4 address, IPv6 /64), so ten wrong
 * passwords from one client refuse that client only; the real user elsewhere, and a valid
 * Temporary Access Pass from another client, are still checked. Behind that, the two backstops
 * (BACKSTOP_FACTOR) refuse unfamiliar browsers only. Counts are per relay instance and in
 * memory, so with N instances the bounds are N times larger; each map is pruned past 100,000 keys.
 */
export class PasswordThrottle {
  private readonly perClient = new Map<string, Window>();
  private readonly perUser = new Map<string, Window>();
  private readonly perClientAllNames = new Map<string, Window>();
  /** Throttled attempts logged this window (`shouldLogThrottled`). */
  private readonly loggedRefusals = new Map<string, Window>();

  constructor(private readonly now: () => number) {}

  /** Whether this client may try a password for this name now, and if not, which limit says so and for how long. */
  check(upn: string, clientKey: string): ThrottleVerdict {
    const name = upn.toLowerCase();
    const now = this.now();
    const refused = (scope: ThrottleScope, window: Window): ThrottleVerdict => ({
      allowed: false,
      scope,
      retryAfterMs: window.endsAt - now,
    });
    const client = this.current(this.perClient, `${name}\n${clientKey}`);
    if (client && client.count >= MAX_FAILED_PASSWORDS) return refused('client', client);
    const user = this.current(this.perUser, name);
    if (user && user.count >= MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR) return refused('user', user);
    const spray = this.current(this.perClientAllNames, clientKey);
    if (spray && spray.count >= MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR) return refused('spray', spray);
    return { allowed: true };
  }

  recordFailure(upn: string, clientKey: string): void {
    const name = upn.toLowerCase();
    this.bump(this.perClient, `${name}\n${clientKey}`);
    this.bump(this.perUser, name);
    this.bump(this.perClientAllNames, clientKey);
  }

  /** A right password or TAP clears this client's count for the name (not the name's backstop: strangers' failures stay counted). */
  recordSuccess(upn: string, clientKey: string): void {
    this.perClient.delete(`${upn.toLowerCase()}\n${clientKey}`);
  }

  /**
   * Whether a refused attempt should go in the sign-in log: the first one per window for each
   * client and name (for `spray`, each client), so that a flood of refused attempts, unknown
   * names included, writes a bounded number of rows. `push` is a refused push request.
   */
  shouldLogThrottled(upn: string, clientKey: string, scope: ThrottleScope | 'push'): boolean {
    const key = scope === 'spray' ? `spray\n${clientKey}` : `${scope}\n${upn.toLowerCase()}\n${clientKey}`;
    if (this.current(this.loggedRefusals, key)) return false;
    this.bump(this.loggedRefusals, key);
    return true;
  }

  private bump(map: Map<string, Window>, key: string): void {
    const entry = this.current(map, key);
    if (entry) entry.count += 1;
    else map.set(key, { count: 1, endsAt: this.now() + PASSWORD_WINDOW_MS });
    if (map.size > 100_000) this.prune(map);
  }

  private current(map: Map<string, Window>, key: string): Window | undefined {
    const entry = map.get(key);
    if (entry && entry.endsAt <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(map: Map<string, Window>): void {
    const now = this.now();
    for (const [key, entry] of map) if (entry.endsAt <= now) map.delete(key);
  }
}
