import type { Context } from 'hono';
import { UpnSchema } from '../../../protocol/messages.ts';
import { parse } from '../../../protocol/parse.ts';
import type { FieldErrors } from './admin-layout.tsx';
import { isSigninStatus } from './log-words.ts';

/** The log's filter as typed in its form (and kept in the URL). */
export interface LogFilter {
  upn: string;
  status: string;
  since: string;
  until: string;
}

export interface LogQuery {
  upn?: string;
  status?: string;
  since?: number;
  until?: number;
}

/** A datetime-local value read as UTC, or undefined when empty; NaN when unreadable. */
const utcTime = (value: string): number | undefined =>
  value === '' ? undefined : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? Date.parse(`${value}Z`) : Number.NaN;

/** The filter from the query string: what the store is asked, and the fields that could not be read. */
export function readLogFilter(c: Context): { filter: LogFilter; errors: FieldErrors; query: LogQuery } {
  const filter: LogFilter = {
    upn: c.req.query('upn')?.trim() ?? '',
    status: c.req.query('status') ?? '',
    since: c.req.query('since') ?? '',
    until: c.req.query('until') ?? '',
  };
  const errors: FieldErrors = {};
  const query: LogQuery = {};
  if (filter.upn) {
    if (parse(UpnSchema, filter.upn).ok) query.upn = filter.upn;
    else errors.upn = 'Not a valid user name.';
  }
  if (isSigninStatus(filter.status)) query.status = filter.status;
  for (const key of ['since', 'until'] as const) {
    const at = utcTime(filter[key]);
    if (at === undefined) continue;
    if (Number.isNaN(at)) errors[key] = 'Not a valid date and time.';
    else query[key] = at;
  }
  return { filter, errors, query };
}

/** The same filter as a query string, for the CSV link. */
export const filterQuery = (filter: LogFilter): string =>
  new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== '')).toString();
