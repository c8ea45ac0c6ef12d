import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../api-error.ts';
import { isDatabaseUnavailable } from '../store/database-unavailable.ts';

/** The one shape of every error answer: `{error: {code, message, field?}}`. */
export function errorResponse(c: Context, error: unknown) {
  if (error instanceof ApiError) {
    const field = (error as ApiError & { field?: string }).field;
    const headers = error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : undefined;
    return c.json(
      { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } },
      error.status as ContentfulStatusCode,
      headers,
    );
  }
  if (isDatabaseUnavailable(error)) {
    return c.json({ error: { code: 'unavailable', message: 'The relay cannot reach its database right now; try again shortly.' } }, 503, {
      'retry-after': '2',
    });
  }
  return c.json({ error: { code: 'internal_error', message: 'Something went wrong on the relay.' } }, 500);
}
