/** Failed password or TAP attempts a sign-in name may make in one window before it must wait. */
export const MAX_FAILED_PASSWORDS = 10;
export const PASSWORD_WINDOW_MS = 15 * 60_000;

/**
 * Slows down password guessing: after MAX_FAILED_PASSWORDS failures for one sign-in name within
 * PASSWORD_WINDOW_MS, further attempts are refused without checking until the window ends. The
 * count is per relay instance and in memory, so with N instances the bound is N times larger.
 */
export class PasswordThrottle {
  private readonly failures = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(private readonly now: () => number) {}

  /** Whether this name may try a password now. */
  allows(upn: string): boolean {
    const entry = this.current(upn);
    return !entry || entry.count < MAX_FAILED_PASSWORDS;
  }

  recordFailure(upn: string): void {
    const key = upn.toLowerCase();
    const entry = this.current(key);
    if (entry) entry.count += 1;
    else this.failures.set(key, { count: 1, windowEndsAt: this.now() + PASSWORD_WINDOW_MS });
    if (this.failures.size > 100_000) this.prune();
  }

  recordSuccess(upn: string): void {
    this.failures.delete(upn.toLowerCase());
  }

  private current(upn: string) {
    const key = upn.toLowerCase();
    const entry = this.failures.get(key);
    if (entry && entry.windowEndsAt <= this.now()) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.failures) if (entry.windowEndsAt <= now) this.failures.delete(key);
  }
}
