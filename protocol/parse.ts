import * as v from 'valibot';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/**
 * Validates untrusted input against one schema. On failure, names the first bad field
 * (dot path, or "body") without echoing the value.
 */
export function parse<TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): ParseResult<v.InferOutput<TSchema>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? 'body';
  const message = issue.input === undefined ? `${field} is required` : `${field} is invalid: ${issue.expected ? `expected ${issue.expected}` : issue.message}`;
  return { ok: false, field, message };
}
