import type { Context } from 'hono';
import type { GenericSchema, InferOutput } from 'valibot';
import { parse } from '../../protocol/parse.ts';
import { ApiError } from '../api-error.ts';

/** Reads a JSON body and validates it against one schema; any failure is a 400 naming the field. */
export async function readJson<TSchema extends GenericSchema>(c: Context, schema: TSchema): Promise<InferOutput<TSchema>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError(400, 'invalid_request', 'body must be application/json');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, 'invalid_request', 'body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'invalid_request', 'body must be a JSON object');
  const result = parse(schema, body);
  if (!result.ok) throw Object.assign(new ApiError(400, 'invalid_request', result.message), { field: result.field });
  return result.value;
}

/** The bearer token of the Authorization header, if any. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
