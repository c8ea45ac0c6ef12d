import { describe, expect, it } from 'vitest';
import { isUnderDomain, normalizeHostname } from '../../../../relay-server/http/hostname.ts';

describe('normalizeHostname() (docs/protocol.md section 1)', () => {
  it('lowercases and drops the port and a trailing dot', () => {
    expect(normalizeHostname('Dash.Example.COM')).toBe('dash.example.com');
    expect(normalizeHostname('dash.example.com.:8443')).toBe('dash.example.com');
    expect(normalizeHostname('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(normalizeHostname('[::1]:443')).toBe('[::1]');
  });

  it('refuses what is not a hostname: non-ASCII, userinfo, paths, lists, empty labels', () => {
    for (const raw of [
      'dаsh.example.com',
      'Zoë.example.com',
      'a@b.example.com',
      'a.example.com/x',
      'a.example.com, b.example.com',
      'a..example.com',
      '',
      ' ',
      '-a.example.com',
      'a.example.com:port',
      '[::1',
      `${'a'.repeat(64)}.com`,
    ]) {
      expect(normalizeHostname(raw), raw).toBeUndefined();
    }
  });
});

describe('isUnderDomain()', () => {
  it('is the domain itself or a name under it, never a look-alike', () => {
    expect(isUnderDomain('example.com', 'example.com')).toBe(true);
    expect(isUnderDomain('dash.example.com', 'example.com')).toBe(true);
    expect(isUnderDomain('badexample.com', 'example.com')).toBe(false);
    expect(isUnderDomain('example.com.evil.net', 'example.com')).toBe(false);
  });
});
