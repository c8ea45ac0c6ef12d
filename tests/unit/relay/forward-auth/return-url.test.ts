import { describe, expect, it } from 'vitest';
import { safeReturnUrl } from '../../../../relay-server/forward-auth/return-url.ts';

const HOSTS = new Set(['dash.example.com', 'wiki.example.com', '127.0.0.1']);

describe('safeReturnUrl() (the sign-in page’s rd)', () => {
  it('returns to an https URL whose host a rule names exactly, path and query kept', () => {
    expect(safeReturnUrl('https://dash.example.com/reports?q=1#top', HOSTS)).toBe('https://dash.example.com/reports?q=1#top');
    expect(safeReturnUrl('https://dash.example.com:8443/', HOSTS)).toBe('https://dash.example.com:8443/');
  });

  it('compares hostnames lowercased and without a trailing dot', () => {
    expect(safeReturnUrl('https://DASH.Example.COM/', HOSTS)).toBe('https://dash.example.com/');
    expect(safeReturnUrl('https://dash.example.com./', HOSTS)).toBe('https://dash.example.com./');
  });

  it('returns to plain http on a loopback host only', () => {
    expect(safeReturnUrl('http://127.0.0.1:8080/x', HOSTS)).toBe('http://127.0.0.1:8080/x');
    expect(safeReturnUrl('http://dash.example.com/', HOSTS)).toBeUndefined();
  });

  it('ignores hosts no rule names, including look-alikes', () => {
    for (const rd of [
      'https://evil.example.net/',
      'https://dash.example.com.evil.net/',
      'https://evil.net/dash.example.com',
      'https://evildash.example.com/',
      'https://dash-example.com/',
      'https://dаsh.example.com/', // Cyrillic а
      'https://xn--dsh-8cd.example.com/',
      'https://example.com/',
      'https://sub.dash.example.com/',
    ]) {
      expect(safeReturnUrl(rd, HOSTS), rd).toBeUndefined();
    }
  });

  it('ignores other schemes and scheme-relative or relative forms', () => {
    for (const rd of [
      'javascript:alert(1)//https://dash.example.com/',
      'data:text/html,<script>alert(1)</script>',
      'ftp://dash.example.com/',
      'ws://dash.example.com/',
      '//evil.net/',
      '//dash.example.com/',
      '/\\evil.net/',
      '\\\\evil.net\\',
      '/admin',
      'dash.example.com/',
      'https:dash.example.com/',
      'https:/dash.example.com/',
      'https:///evil.net/',
      ' https://evil.net/',
      'https://evil.net\thttps://dash.example.com/',
    ]) {
      expect(safeReturnUrl(rd, HOSTS), rd).toBeUndefined();
    }
  });

  it('ignores backslashes, which a browser reads as slashes', () => {
    for (const rd of [
      'https:\\\\evil.net\\',
      'https://evil.net\\@dash.example.com/',
      'https://dash.example.com\\@evil.net/',
      'https:/\\evil.net/',
    ]) {
      expect(safeReturnUrl(rd, HOSTS), rd).toBeUndefined();
    }
  });

  it('ignores userinfo, even when it names a rule host', () => {
    for (const rd of [
      'https://dash.example.com@evil.net/',
      'https://user:pass@dash.example.com/',
      'https://user@dash.example.com/',
      'https://dash.example.com%40evil.net/',
      'https://dash.example.com:@evil.net/',
    ]) {
      expect(safeReturnUrl(rd, HOSTS), rd).toBeUndefined();
    }
  });

  it('judges encoded forms by what they decode to', () => {
    // A percent-encoded hostname is the host a browser would visit: evil.net here, not a rule host.
    expect(safeReturnUrl('https://evil%2Enet/', HOSTS)).toBeUndefined();
    expect(safeReturnUrl('https://dash.example.com%2Eevil.net/', HOSTS)).toBeUndefined();
    expect(safeReturnUrl('https://dash%2Eexample%2Ecom/', HOSTS)).toBe('https://dash.example.com/');
    expect(safeReturnUrl('https%3A%2F%2Fevil.net%2F', HOSTS)).toBeUndefined();
    expect(safeReturnUrl('https://evil.net%23@dash.example.com/', HOSTS)).toBeUndefined();
    // An IP written another way is not the rule's 127.0.0.1 unless it parses to it.
    expect(safeReturnUrl('http://2130706433/', HOSTS)).toBe('http://127.0.0.1/');
    expect(safeReturnUrl('http://0x7f000002/', HOSTS)).toBeUndefined();
  });

  it('ignores an empty, missing or oversized rd, and control characters', () => {
    expect(safeReturnUrl(undefined, HOSTS)).toBeUndefined();
    expect(safeReturnUrl('', HOSTS)).toBeUndefined();
    expect(safeReturnUrl(`https://dash.example.com/${'a'.repeat(3000)}`, HOSTS)).toBeUndefined();
    expect(safeReturnUrl('https://dash.example.com/\n', HOSTS)).toBeUndefined();
    expect(safeReturnUrl('https://dash.example.com/\u0000', HOSTS)).toBeUndefined();
  });

  it('ignores everything when no rule names any host', () => {
    expect(safeReturnUrl('https://dash.example.com/', new Set())).toBeUndefined();
  });
});
