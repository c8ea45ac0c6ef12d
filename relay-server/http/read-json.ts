import type { IncomingMessage } from 'node:http';
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
    body = JSON.parse(await bodyText(c));
  } catch {
    throw new ApiError(400, 'invalid_request', 'body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'invalid_request', 'body must be a JSON object');
  const result = parse(schema, body);
  if (!result.ok) throw Object.assign(new ApiError(400, 'invalid_request', result.message), { field: result.field });
  return result.value;
}

/**
 * The body as text. Under the relay's Node server a body of declared length is read straight
 * from the request stream: `c.req.text()` first builds a full web Request with its own stream
 * and abort signal, 3–4 % of the relay's CPU per sign-in. A chunked body has already been read
 * by the body limit (http/limit-body.ts), so it comes from Hono. Only for routes where nothing
 * else reads the body (the JSON API).
 */
async function bodyText(c: Context): Promise<string> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || c.req.header('content-length') === undefined || c.req.header('transfer-encoding') !== undefined) return c.req.text();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The bearer token of the Authorization header, if any. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
