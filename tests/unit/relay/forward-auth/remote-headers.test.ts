import { describe, expect, it } from 'vitest';
import { remoteHeaders, remoteHeaderValue } from '../../../../relay-server/forward-auth/remote-headers.ts';

describe('remoteHeaders()', () => {
  it('always gives all four headers, empty when unknown', () => {
    expect(remoteHeaders({ upn: 'alice@example.com', displayName: '', email: '', groups: [] })).toEqual({
      'Remote-User': 'alice@example.com',
      'Remote-Name': '',
      'Remote-Email': '',
      'Remote-Groups': '',
    });
  });

  it('joins groups with commas', () => {
    expect(remoteHeaders({ upn: 'a@b.c', displayName: 'A', email: 'a@b.c', groups: ['staff', 'admins'] })['Remote-Groups']).toBe(
      'staff,admins',
    );
  });

  it('percent-encodes a non-ASCII display name as UTF-8, so Node can send it', () => {
    const value = remoteHeaderValue('Zoë Ødegård');
    expect(value).toBe('Zo%C3%AB %C3%98deg%C3%A5rd');
    expect(decodeURIComponent(value)).toBe('Zoë Ødegård');
    expect(() => new Headers({ 'Remote-Name': value })).not.toThrow();
  });

  it('percent-encodes controls (a newline cannot split the header) and astral characters', () => {
    expect(remoteHeaderValue('a\r\nRemote-Groups: admins')).toBe('a%0D%0ARemote-Groups: admins');
    expect(remoteHeaderValue('\u0000\u007f\t')).toBe('%00%7F%09');
    expect(remoteHeaderValue('🦊')).toBe('%F0%9F%A6%8A');
  });

  it('keeps printable ASCII as it is', () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    expect(remoteHeaderValue(printable)).toBe(printable);
  });
});
