import { expect } from 'vitest';
import type { ErrorCode } from '../../../protocol/errors.ts';
import { MARKER, type HostileBody } from './hostile-input.ts';

/** Every ErrorCode at run time; tsc fails here when protocol/errors.ts gains or loses one. */
const CODES: Record<ErrorCode, true> = {
  invalid_request: true,
  payload_too_large: true,
  bad_signature: true,
  pairing_expired: true,
  pairing_used: true,
  no_push_method: true,
  invalid_credentials: true,
  rate_limited: true,
  locked_out: true,
  unauthorized: true,
  forbidden: true,
  not_found: true,
  user_exists: true,
  group_exists: true,
  already_decided: true,
  already_completed: true,
  not_approved: true,
  expired: true,
  clock_skew: true,
  not_addressed: true,
  unknown_device: true,
  device_revoked: true,
  malformed_frame: true,
  frame_too_large: true,
  csrf_failed: true,
  not_implemented: true,
  pin_locked: true,
  pin_attempts: true,
  unavailable: true,
  internal_error: true,
};
export const ERROR_CODES: ReadonlySet<string> = new Set(Object.keys(CODES));

export interface RawAnswer {
  status: number;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  body: any;
}

/** Sends a hostile body over real HTTP (loopback) and reads the whole answer. */
export async function sendHostile(
  origin: string,
  method: string,
  path: string,
  body: HostileBody | undefined,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const allHeaders: Record<string, string> = { accept: 'application/json', ...headers };
  if (body?.contentType !== undefined) allHeaders['content-type'] = body.contentType;
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: allHeaders,
    ...(body ? { body: typeof body.payload === 'string' ? body.payload : new Uint8Array(body.payload) } : {}),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, text, body: parsed };
}

/**
 * Asserts a refusal as docs/protocol.md section 8 wants it: 4xx (never 5xx), a JSON body
 * `{error: {code, message}}` whose code is an ErrorCode, and nothing of the input echoed.
 */
export function expectRefusal(answer: RawAnswer, what: string): void {
  const context = `${what} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeGreaterThanOrEqual(400);
  expect(answer.status, context).toBeLessThan(500);
  expect(answer.body?.error, context).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  expect(ERROR_CODES.has(answer.body.error.code), context).toBe(true);
  expect(answer.body.error.message.length, context).toBeGreaterThan(0);
  expect(answer.text.includes(MARKER), `${context}: the answer echoes the input`).toBe(false);
}
