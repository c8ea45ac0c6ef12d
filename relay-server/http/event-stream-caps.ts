import { rateLimited, type ApiError } from '../api-error.ts';

/**
 * How many event streams (GET /api/v1/signins/{id}/events) this instance keeps open: a few per
 * sign-in request (one browser token each; a second tab or a reconnect fits) and a total, so one
 * token, or many, cannot pin thousands of responses, timers and listeners.
 */
export const EVENT_STREAM_LIMITS = { perRequest: 4, total: 10_000 } as const;

/** What a refused stream is told to wait: a stream that ends frees its place at once. */
export const EVENT_STREAM_RETRY_SECONDS = 5;

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
  private total = 0;

  constructor(private readonly limits: { perRequest: number; total: number } = EVENT_STREAM_LIMITS) {}

  /** Streams open now, in all. */
  get open(): number {
    return this.total;
  }

  openFor(requestId: string): number {
    return this.byRequest.get(requestId) ?? 0;
  }

  take(requestId: string): (() => void) | ApiError {
    const mine = this.openFor(requestId);
    if (mine >= this.limits.perRequest) {
      return rateLimited(`This sign-in request already has ${mine} status streams open; close one first.`, EVENT_STREAM_RETRY_SECONDS);
    }
    if (this.total >= this.limits.total) {
      return rateLimited('The relay has too many status streams open right now.', EVENT_STREAM_RETRY_SECONDS);
    }
    this.byRequest.set(requestId, mine + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.byRequest.get(requestId) ?? 1) - 1;
      if (left <= 0) this.byRequest.delete(requestId);
      else this.byRequest.set(requestId, left);
    };
  }
}
