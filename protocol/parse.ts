import * as v from 'valibot';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/**
 * Validates untrusted input against one schema. On failure, names the first bad field
 * (dot path, or "body") without echoing the value.
 * @example parse(DecisionMessage, JSON.parse(frame)) // {ok: false, field: 'signedAt', message: 'signedAt is invalid: expected integer'}
 */
export function parse<TSchema extends v.GenericSchema>(schema: TSchema, input: unknown): ParseResult<v.InferOutput<TSchema>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? 'body';
  const message = issue.input === undefined ? `${field} is required` : `${field} is invalid: ${describe(issue)}`;
  return { ok: false, field, message };
}

/**
 * valibot's default messages end in "Received <the value>", so they are used only when they
 * carry no trace of the input (our own custom messages); otherwise the rule is named instead.
 */
function describe(issue: v.BaseIssue<unknown>): string {
  if (issue.expected) return `expected ${issue.expected}`;
  if (!issue.message.includes('Received') && !issue.message.includes(issue.received)) return issue.message;
  return `expected ${issue.type}`;
}
