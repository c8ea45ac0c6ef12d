import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../api-error.ts';

/** The one shape of every error answer: `{error: {code, message, field?}}`. */
export function errorResponse(c: Context, error: unknown) {
  if (error instanceof ApiError) {
    const field = (error as ApiError & { field?: string }).field;
    return c.json({ error: { code: error.code, message: error.message, ...(field ? { field } : {}) } }, error.status as ContentfulStatusCode);
  }
  return c.json({ error: { code: 'internal_error', message: 'Something went wrong on the relay.' } }, 500);
}
