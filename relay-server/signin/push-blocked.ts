import type { Context } from 'hono';
import { ApiError } from '../api-error.ts';

/** What Retry-After says when push sign-in is blocked until an administrator clears it. */
export const BLOCKED_RETRY_SECONDS = 3600;

/** What the sign-in pages and the API say: what happened, and who can undo it. */
export const PUSH_BLOCKED_MESSAGE =
  'Sign-in requests to this account are blocked because one was reported. Your administrator can unblock it.';

/**
 * "It wasn't me" blocked pushes for the account (docs/protocol.md section 5: `429 rate_limited`).
 * The error body adds `reason: "push_blocked"` so a page can say so instead of "wait a while":
 * waiting does not help here, only an administrator does.
 */
export class PushBlockedError extends ApiError {
  readonly reason = 'push_blocked';

  constructor() {
    super(429, 'rate_limited', PUSH_BLOCKED_MESSAGE, BLOCKED_RETRY_SECONDS);
  }
}

/** The usual error body (http/error-body.ts) plus `reason`: unknown fields are ignored (docs/protocol.md section 1). */
export function pushBlockedResponse(c: Context, error: PushBlockedError): Response {
  const body = { error: { code: error.code, message: error.message, reason: error.reason } };
  return c.json(body, 429, { 'retry-after': String(error.retryAfterSeconds ?? BLOCKED_RETRY_SECONDS) });
}
