import { describe, expect, it } from 'vitest';
import { DATE_TIME_OPTIONS, formatDateTime } from '../../../protocol/display-time.ts';
import { absoluteTime } from '../../../relay-server/pages/human-time.ts';

const AT = Date.UTC(2026, 11, 6, 22, 36, 51);

describe('formatDateTime()', () => {
  it('writes the reader’s locale and zone, with the zone named', () => {
    expect(formatDateTime(AT, 'en-GB', 'UTC')).toBe('6 Dec 2026, 22:36 UTC');
    expect(formatDateTime(AT, 'en-US', 'America/New_York')).toBe('Dec 6, 2026, 05:36 PM EST');
    expect(formatDateTime(AT, 'de-DE', 'Europe/Berlin')).toBe('6. Dez. 2026, 23:36 MEZ');
  });

  it('is the format of the relay’s pages before the browser localizes them', () => {
    expect(absoluteTime(AT)).toBe(formatDateTime(AT, 'en-GB', 'UTC'));
    expect(DATE_TIME_OPTIONS.timeZoneName).toBe('short');
  });
});
