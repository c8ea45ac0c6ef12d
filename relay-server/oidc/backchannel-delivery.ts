import type { Logger } from 'pino';

/** How long after the first try each retry of a logout token goes out (ms). */
export const BACKCHANNEL_RETRY_DELAYS_MS = [1_000, 5_000, 20_000] as const;
/** One logout per app session: the same (app, sid) within this window is sent once. */
const DUPLICATE_WINDOW_MS = 60_000;

/**
 * Back-Channel Logout 1.0 deliveries (docs/protocol.md section 9). A sign-out never waits for
 * an app: each logout token is posted in the background, retried a few times when the app does
 * not answer 200 or 204, and a final failure is logged (never the token itself).
 */
export class BackchannelDelivery {
  private readonly recent = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
    /** Public so tests can make the waits short. */
    public delaysMs: readonly number[] = BACKCHANNEL_RETRY_DELAYS_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues `post` (one attempt at sending a fresh logout token) for the app session `clientId`/`sid`. */
  send(clientId: string, sid: string | undefined, post: () => Promise<void>): void {
    const key = `${clientId}\u0000${sid ?? ''}`;
    const now = this.now();
    for (const [seen, at] of this.recent) if (now - at > DUPLICATE_WINDOW_MS) this.recent.delete(seen);
    if (this.recent.has(key)) return;
    this.recent.set(key, now);
    this.attempt(clientId, post, 0);
  }

  /** Resolves when nothing is being sent or waiting to be retried (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stops the retries still waiting (the relay is stopping). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private attempt(clientId: string, post: () => Promise<void>, attempt: number): void {
    const sending = post().then(
      () => this.logger.info({ event: 'oidc.backchannel_logout', clientId, attempt: attempt + 1 }, 'back-channel logout delivered'),
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        const delay = this.delaysMs[attempt];
        if (delay === undefined) {
          this.logger.warn(
            { event: 'oidc.backchannel_logout_failed', clientId, attempts: attempt + 1, reason },
            'back-channel logout failed',
          );
          return;
        }
        this.logger.info(
          { event: 'oidc.backchannel_logout_retry', clientId, attempt: attempt + 1, reason },
          'back-channel logout will be retried',
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.attempt(clientId, post, attempt + 1);
        }, delay);
        timer.unref();
        this.timers.add(timer);
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }
}
