import type { Context } from 'hono';
import { ApiError, tryAgainIn } from '../api-error.ts';

/** What Retry-After says when push sign-in is blocked until an administrator clears it. */
export const BLOCKED_RETRY_SECONDS = 3600;

/**
 * What works when pushes from unknown places are paused (docs/protocol.md section 5). It says only
 * that requests are paused and what works, never why: a stranger learns nothing from it.
 */
export const WHAT_WORKS =
  'sign in from a browser you used before, sign in with a code, or ask your administrator for a Temporary Access Pass.';

/** What the sign-in pages and the API say when unfamiliar clients' requests are paused. */
export const PUSH_BLOCKED_MESSAGE = `Requests from unknown places are paused for this account; ${WHAT_WORKS}`;

/**
 * What the person is told once a password (or a familiar browser) has shown it is them: what
 * happened, what works and who can clear it. Never said to someone who has only typed the name.
 */
export const PUSH_BLOCKED_FOR_THE_PERSON =
  'sign-in requests to your account are paused because someone answered “It wasn’t me” on one of your authenticators. ' +
  'Only an administrator can clear this: ask yours. Until then, sign in from a browser you used before, sign in with a code, or ask for a Temporary Access Pass.';

/** Why a push was refused in a way that a sign-in by code (or a familiar browser) gets around. */
export type PausedReason = 'push_blocked' | 'paused';

/**
 * A push refused by a per-user cap on unfamiliar clients (`429 rate_limited`): a report's pause,
 * the hourly push cap, this client's share of it, the pending slots. The error body adds `reason`
 * so the page offers "Sign in with a code instead" at once; `push_blocked` (a report) also tells
 * it that waiting does not help, only an administrator does.
 */
export class PushPausedError extends ApiError {
  constructor(
    readonly reason: PausedReason,
    message: string,
    retryAfterSeconds: number,
  ) {
    super(429, 'rate_limited', message, retryAfterSeconds);
  }
}

/** "It wasn't me" paused pushes from unfamiliar clients until an administrator clears it. */
export class PushBlockedError extends PushPausedError {
  constructor() {
    super('push_blocked', PUSH_BLOCKED_MESSAGE, BLOCKED_RETRY_SECONDS);
  }
}

/** A per-user cap on unfamiliar clients is full for a while: the words, and when to try again. */
export function unfamiliarPaused(retryAfterSeconds: number): PushPausedError {
  return new PushPausedError('paused', `${PUSH_BLOCKED_MESSAGE} ${tryAgainIn(retryAfterSeconds)}`, retryAfterSeconds);
}

/** The usual error body (http/error-body.ts) plus `reason`: unknown fields are ignored (docs/protocol.md section 1). */
export function pushBlockedResponse(c: Context, error: PushPausedError): Response {
  const body = { error: { code: error.code, message: error.message, reason: error.reason } };
  return c.json(body, 429, { 'retry-after': String(error.retryAfterSeconds ?? BLOCKED_RETRY_SECONDS) });
}
