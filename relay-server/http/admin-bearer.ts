import type { Context, Next } from 'hono';
import { ApiError } from '../api-error.ts';
import { secretsEqual } from '../security/secrets.ts';
import { bearerToken } from './read-json.ts';

/** Middleware for the admin API (docs/protocol.md section 7): the ADMIN_TOKEN bearer, compared in constant time. */
export function requireAdminToken(adminToken: string) {
  return async (c: Context, next: Next) => {
    const token = bearerToken(c);
    if (!token || !secretsEqual(token, adminToken)) throw new ApiError(401, 'unauthorized', 'A valid admin token is required.');
    await next();
  };
}
