import type { ForwardAuthHolder, ForwardAuthStore } from '../store/forward-auth-store.ts';

/** How long one instance trusts a handle it looked up: a sign-out shows in the check within it. */
export const HOLDER_CACHE_MS = 2_000;
/** Entries kept at most; past it the oldest go first, so a flood of made-up cookies costs memory only up to here. */
const MAX_ENTRIES = 20_000;

/**
 * The forward-auth check runs before every request to every protected app, so a handle's holder
 * is read from the database once per couple of seconds per instance, never written (docs/protocol.md
 * section 10: cheap). Unknown handles are remembered too, so repeating one is as cheap.
 */
export class HolderCache {
  private readonly entries = new Map<string, { until: number; holder: ForwardAuthHolder | undefined }>();
  private readonly loading = new Map<string, Promise<ForwardAuthHolder | undefined>>();

  constructor(
    private readonly store: ForwardAuthStore,
    /** The relay's clock: session expiry is judged by it. */
    private readonly clock: () => number,
    private readonly realTime: () => number = () => performance.now(),
  ) {}

  async holder(handle: string): Promise<ForwardAuthHolder | undefined> {
    const entry = this.entries.get(handle);
    if (entry && entry.until > this.realTime()) return entry.holder;
    const pending = this.loading.get(handle);
    if (pending) return pending;
    const lookup = this.store
      .holder(handle, this.clock())
      .then((holder) => {
        this.remember(handle, holder);
        return holder;
      })
      .finally(() => this.loading.delete(handle));
    this.loading.set(handle, lookup);
    return lookup;
  }

  /** Forgets every entry (this instance just ended sessions). */
  clear(): void {
    this.entries.clear();
  }

  private remember(handle: string, holder: ForwardAuthHolder | undefined): void {
    this.entries.delete(handle);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(handle, { until: this.realTime() + HOLDER_CACHE_MS, holder });
  }
}
