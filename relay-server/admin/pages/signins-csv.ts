import { signinReasonWords } from '../../../protocol/signin-reasons.ts';
import type { SigninRow } from '../../store/schema.ts';

const HEADER = [
  'requestId',
  'createdAt',
  'upn',
  'app',
  'ip',
  'location',
  'browser',
  'os',
  'method',
  'status',
  'reason',
  'reasonText',
  'deviceId',
  'decidedAt',
];

/** Spreadsheet-safe CSV cell: quoted, and a leading = + - @ neutralised so it can't run as a formula. */
function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

/** The sign-in log as CSV, codes and ids as stored (for scripts and spreadsheets), and each reason in the log's words. */
export function signinsCsv(rows: SigninRow[]): string {
  const lines = rows.map((row) =>
    [
      row.id,
      iso(row.created_at),
      row.upn,
      row.app_name,
      row.ip,
      row.location,
      row.browser,
      row.os,
      row.method,
      row.status,
      row.reason,
      signinReasonWords(row.reason),
      row.device_id,
      iso(row.decided_at),
    ]
      .map(csvCell)
      .join(','),
  );
  return [HEADER.join(','), ...lines].join('\r\n') + '\r\n';
}
