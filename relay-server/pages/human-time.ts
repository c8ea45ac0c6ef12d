import { formatDateTime } from '../../protocol/display-time.ts';

/** Dates as people read them on the pages: "3 minutes ago", "2 Mar 2026, 14:05 UTC". */
const UNITS: [string, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

export function relativeTime(at: number, now: number): string {
  const delta = now - at;
  const past = delta >= 0;
  const size = Math.abs(delta);
  if (size < 45_000) return past ? 'just now' : 'in a moment';
  for (const [unit, ms] of UNITS) {
    if (size >= ms || unit === 'minute') {
      const count = Math.max(1, Math.round(size / ms));
      const label = `${count} ${unit}${count === 1 ? '' : 's'}`;
      return past ? `${label} ago` : `in ${label}`;
    }
  }
  return '';
}

/** "6 Dec 2026, 22:36 UTC": the one format of protocol/display-time.ts, for British English in UTC (pages/local-time.tsx shows it in the reader's own). */
export function absoluteTime(at: number): string {
  return formatDateTime(at, 'en-GB', 'UTC');
}

export function clockTime(at: number): string {
  const date = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}
