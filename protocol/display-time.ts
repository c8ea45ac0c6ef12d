/**
 * The one way Countersign writes a moment for people, on the relay's pages and in the extension:
 * the reader's locale and time zone, with the zone named ("6 Dec 2026, 22:36 UTC" in British
 * English on a UTC clock, "Dec 6, 2026, 05:36 PM EST" in American English in New York). The
 * relay renders it for `en-GB` in UTC, and its pages rewrite it in the browser's own locale and
 * zone (pages/assets/local-time.js reads these options from the page, so there is no second copy).
 */
export const DATE_TIME_OPTIONS: Intl.DateTimeFormatOptions = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
};

/**
 * @example formatDateTime(at) // the runtime's locale and zone
 * @example formatDateTime(at, 'en-GB', 'UTC') // "6 Dec 2026, 22:36 UTC"
 */
export function formatDateTime(at: number, locale?: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, timeZone ? { ...DATE_TIME_OPTIONS, timeZone } : DATE_TIME_OPTIONS).format(at);
}
