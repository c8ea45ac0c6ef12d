import { rateLimited, type ApiError } from '../api-error.ts';
import { aggregateKey } from '../security/aggregate-key.ts';

/**
 * How many event streams (GET /api/v1/signins/{id}/events) this instance keeps open: a few per
 * sign-in request (one browser token each; a second tab or a reconnect fits), 64 per client
 * (docs/protocol.md section 5), and a total, so one token, or many, cannot pin thousands of
 * responses, timers and listeners. The total refuses unfamiliar clients only. The 64 are a share
 * of that total, so an IPv6 /48 counts as one client for them (section 1, http/client-context.ts
 * `aggregateKey`): one site cannot take the total with 157 of its /64s.
 */
export const EVENT_STREAM_LIMITS = { perRequest: 4, perClient: 64, total: 10_000 } as const;

/** What a refused stream is told to wait: a stream that ends frees its place at once. The page polls every 2 s meanwhile. */
export const EVENT_STREAM_RETRY_SECONDS = 5;

/** What a refused browser is told works instead. */
const POLL_INSTEAD = 'the sign-in page checks the status every 2 seconds instead, so it still sees the outcome.';

/**
 * Counts open streams per request and in all. `open` either takes a place and returns the
 * function that gives it back (idempotent), or returns the 429 to answer with.
 *
 * ```ts
 * const place = caps.take(requestId);
 * if (typeof place !== 'function') throw place;
 * stream.onClose(place);
 * ```
 */
export class EventStreamCaps {
  private readonly byRequest = new Map<string, number>();
  private readonly byClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { perRequest: number; perClient: number; total: number } = EVENT_STREAM_LIMITS) {}

  /** Streams open now, in all. */
  get open(): number {
    return this.total;
  }

  openFor(requestId: string): number {
    return this.byRequest.get(requestId) ?? 0;
  }

  openForClient(client: string): number {
    return this.byClient.get(client) ?? 0;
  }

  /**
   * A place for one stream of `requestId` from `client` (a client key; a familiar browser's own),
   * or the 429 to answer with. A familiar browser is never refused because the total is full.
   */
  take(requestId: string, clientKey = '', familiar = false): (() => void) | ApiError {
    const client = aggregateKey(clientKey);
    const mine = this.openFor(requestId);
    if (mine >= this.limits.perRequest) {
      return rateLimited(`This sign-in request already has ${mine} status streams open; ${POLL_INSTEAD}`, EVENT_STREAM_RETRY_SECONDS);
    }
    const clientOpen = this.openForClient(client);
    if (clientOpen >= this.limits.perClient) {
      return rateLimited(
        `Status streams from here are paused: ${clientOpen} are open already; ${POLL_INSTEAD}`,
        EVENT_STREAM_RETRY_SECONDS,
      );
    }
    if (this.total >= this.limits.total && !familiar) {
      return rateLimited(
        `Status streams from unknown places are paused while the relay has many open; ${POLL_INSTEAD}`,
        EVENT_STREAM_RETRY_SECONDS,
      );
    }
    this.byRequest.set(requestId, mine + 1);
    this.byClient.set(client, clientOpen + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      decrement(this.byRequest, requestId);
      decrement(this.byClient, client);
    };
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
