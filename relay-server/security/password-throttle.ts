import { aggregateKey } from './aggregate-key.ts';

/** Failed password or TAP attempts one client may make for one sign-in name in a window before it must wait. */
export const MAX_FAILED_PASSWORDS = 10;
export const PASSWORD_WINDOW_MS = 15 * 60_000;
/**
 * The backstops, ten times the per-client limit per window: failures for one name from every
 * client together, and failures from one client across every name (password spraying). Beyond
 * them only the user's familiar browsers may still try (security/familiar-browser.ts).
 */
export const BACKSTOP_FACTOR = 10;
/**
 * Throttle entries (counts per name and client, and per name) kept for names that do not exist.
 * Names are free to invent, so this is what bounds the throttle's memory under a spray of made-up
 * names; known names are bounded by the users and the spray backstop.
 */
export const MAX_UNKNOWN_NAME_ENTRIES = 100_000;

/**
 * Which limit refused: this client for this name, every client for this name, this client for
 * every name, or the full table of entries for names that do not exist (`names`).
 */
export type ThrottleScope = 'client' | 'user' | 'spray' | 'names';

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
 * (BACKSTOP_FACTOR) count and refuse unfamiliar clients only. Counts are per relay instance and in
 * memory, so with N instances the bounds are N times larger; each map is pruned past 100,000 keys.
 */
export class PasswordThrottle {
  private readonly perClient = new Map<string, Window>();
  private readonly perUser = new Map<string, Window>();
  private readonly perClientAllNames = new Map<string, Window>();
  /** Throttled attempts logged this window (`shouldLogThrottled`). */
  private readonly loggedRefusals = new Map<string, Window>();
  /** The keys of perClient and perUser that belong to names that do not exist, and when each ends. */
  private readonly unknownNameEntries = new Map<string, number>();
  private readonly maxUnknownNameEntries: number;

  constructor(
    private readonly now: () => number,
    options: { maxUnknownNameEntries?: number } = {},
  ) {
    this.maxUnknownNameEntries = options.maxUnknownNameEntries ?? MAX_UNKNOWN_NAME_ENTRIES;
  }

  /**
   * Whether this client may try a password for this name now, and if not, which limit says so and
   * for how long. The backstops refuse unfamiliar clients only (docs/protocol.md section 5); a
   * familiar browser's `clientKey` is its cookie's, so its own count is its own.
   */
  check(upn: string, clientKey: string, familiar = false): ThrottleVerdict {
    const name = upn.toLowerCase();
    const now = this.now();
    const refused = (scope: ThrottleScope, window: Window): ThrottleVerdict => ({
      allowed: false,
      scope,
      retryAfterMs: window.endsAt - now,
    });
    const client = this.current(this.perClient, `${name}\n${clientKey}`);
    if (client && client.count >= MAX_FAILED_PASSWORDS) return refused('client', client);
    if (familiar) return { allowed: true };
    const user = this.current(this.perUser, name);
    if (user && user.count >= MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR) return refused('user', user);
    // The spray backstop is a client's share of every name: an IPv6 /48 is one client (section 1).
    const spray = this.current(this.perClientAllNames, aggregateKey(clientKey));
    if (spray && spray.count >= MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR) return refused('spray', spray);
    // A full table of entries for made-up names refuses unfamiliar clients only, and those for
    // known and unknown names alike (an attempt that would need a new entry), so the refusal
    // tells nobody whether a name exists. Familiar browsers never need one of these entries.
    if (!client && this.unknownNamesFull()) {
      const oldest = this.unknownNameEntries.values().next().value ?? now;
      return refused('names', { count: 0, endsAt: Math.max(oldest, now + 1000) });
    }
    return { allowed: true };
  }

  /**
   * A wrong password or TAP; the name's backstop counts unfamiliar clients only. `known` says
   * whether the name is a user's: entries for names that do not exist are bounded
   * (MAX_UNKNOWN_NAME_ENTRIES), and past the bound a failure that would need a new one is not counted.
   */
  recordFailure(upn: string, clientKey: string, familiar = false, known = true): void {
    const name = upn.toLowerCase();
    const clientEntry = `${name}\n${clientKey}`;
    if (!known) {
      const fresh = !this.current(this.perClient, clientEntry) || !this.current(this.perUser, name);
      if (fresh && this.unknownNamesFull()) return;
    }
    this.bump(this.perClient, clientEntry);
    if (!familiar) {
      this.bump(this.perUser, name);
      this.bump(this.perClientAllNames, aggregateKey(clientKey));
    }
    if (!known) {
      for (const [map, key] of [
        [this.perClient, clientEntry],
        [this.perUser, name],
      ] as const) {
        const window = map.get(key);
        if (!window) continue;
        // Kept in the order their windows end, so the oldest are at the front.
        this.unknownNameEntries.delete(key);
        this.unknownNameEntries.set(key, window.endsAt);
      }
    }
  }

  /** Entries for names that do not exist now (expired ones dropped). */
  get unknownNames(): number {
    this.dropEndedUnknownNames();
    return this.unknownNameEntries.size;
  }

  /** Whether the entries for unknown names are at their bound, after dropping those whose window ended. */
  private unknownNamesFull(): boolean {
    if (this.unknownNameEntries.size < this.maxUnknownNameEntries) return false;
    this.dropEndedUnknownNames();
    return this.unknownNameEntries.size >= this.maxUnknownNameEntries;
  }

  /** Drops ended entries from the front (they are in the order they end): cheap when none ended. */
  private dropEndedUnknownNames(): void {
    const now = this.now();
    for (const [key, endsAt] of this.unknownNameEntries) {
      if (endsAt > now) break;
      this.unknownNameEntries.delete(key);
      if (this.perClient.get(key)?.endsAt === endsAt) this.perClient.delete(key);
      if (this.perUser.get(key)?.endsAt === endsAt) this.perUser.delete(key);
    }
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
    const key =
      scope === 'spray' || scope === 'names' ? `${scope}\n${aggregateKey(clientKey)}` : `${scope}\n${upn.toLowerCase()}\n${clientKey}`;
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
