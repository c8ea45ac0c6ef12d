import { ProtocolError, type ErrorCode } from '../protocol/errors.ts';

/** A ProtocolError with the HTTP status it answers with (and, when refusing for a while, when to come back). */
export class ApiError extends ProtocolError {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 500 | 501 | 503,
    code: ErrorCode,
    message: string,
    /** Sent as Retry-After (http/error-body.ts); every 429 has it. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

/** Whole seconds until `until`, at least 1: what Retry-After says. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** "Try again in 3 minutes." for people; the same wait Retry-After gives machines. */
export function tryAgainIn(seconds: number): string {
  if (seconds < 60) return `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  const hours = Math.ceil(minutes / 60);
  return `Try again in ${hours} hours.`;
}

/** A 429 `rate_limited` whose message ends with when to try again. */
export function rateLimited(why: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'rate_limited', `${why} ${tryAgainIn(retryAfterSeconds)}`, retryAfterSeconds);
}
