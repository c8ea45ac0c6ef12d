import { describe, expect, it } from 'vitest';
import { deviceNameFrom } from '../../../extension/lib/device-name.ts';

describe('deviceNameFrom()', () => {
  it('names Chromium on Linux from client hints', () => {
    expect(
      deviceNameFrom({
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
        userAgentData: { brands: [{ brand: 'Chromium' }, { brand: 'Not.A/Brand' }], platform: 'Linux' },
      }),
    ).toBe('Chromium on Linux');
  });

  it('prefers the branded browser over Chromium', () => {
    expect(
      deviceNameFrom({
        userAgent: '',
        userAgentData: { brands: [{ brand: 'Chromium' }, { brand: 'Microsoft Edge' }], platform: 'Windows' },
      }),
    ).toBe('Edge on Windows');
    expect(deviceNameFrom({ userAgent: '', userAgentData: { brands: [{ brand: 'Google Chrome' }], platform: 'macOS' } })).toBe(
      'Chrome on macOS',
    );
  });

  it('falls back to the user agent (Firefox has no client hints)', () => {
    expect(deviceNameFrom({ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0' })).toBe(
      'Firefox on Windows',
    );
    expect(deviceNameFrom({ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605 Safari/605' })).toBe(
      'Safari on macOS',
    );
  });

  it('names Edge and Opera from the user agent the way the relay does', () => {
    expect(deviceNameFrom({ userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36 Edg/156.0' })).toBe('Edge on Windows');
    expect(deviceNameFrom({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36 OPR/110.0' })).toBe('Opera on Linux');
  });
});
