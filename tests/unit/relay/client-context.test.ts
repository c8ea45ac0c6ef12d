import { describe, expect, it } from 'vitest';
import { clientAddress, clientKey } from '../../../relay-server/http/client-context.ts';
import { aggregateKey } from '../../../relay-server/security/aggregate-key.ts';

describe('clientAddress()', () => {
  it('is the socket address without TRUST_PROXY, whatever X-Forwarded-For says', () => {
    expect(clientAddress('192.168.1.5', '203.0.113.9', 0)).toBe('203.0.113.9');
    expect(clientAddress(undefined, '::ffff:127.0.0.1', 0)).toBe('127.0.0.1');
  });

  it('takes the Nth entry from the right behind N proxies, never a client-written one to its left', () => {
    expect(clientAddress('192.168.1.5, 203.0.113.9', '10.0.0.2', 1)).toBe('203.0.113.9');
    expect(clientAddress('192.168.1.5,203.0.113.9, 10.0.0.3', '10.0.0.2', 2)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '10.0.0.2', 1)).toBe('203.0.113.9');
  });

  it('is the socket address when the header is missing or empty', () => {
    expect(clientAddress(undefined, '10.0.0.2', 1)).toBe('10.0.0.2');
    expect(clientAddress(' , ', '10.0.0.2', 1)).toBe('10.0.0.2');
  });

  it('is the leftmost entry when there are fewer entries than trusted proxies', () => {
    expect(clientAddress('203.0.113.9', '10.0.0.2', 3)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9, 10.0.0.3', '10.0.0.2', 3)).toBe('203.0.113.9');
  });

  it('ignores an entry that is not an IP address, and strips ports, brackets and the IPv4-mapped prefix', () => {
    expect(clientAddress('evil.example', '10.0.0.2', 1)).toBe('10.0.0.2');
    expect(clientAddress('203.0.113.9:4431', '10.0.0.2', 1)).toBe('203.0.113.9');
    expect(clientAddress('[2001:db8::1]:443', '10.0.0.2', 1)).toBe('2001:db8::1');
    expect(clientAddress('::ffff:203.0.113.9', '10.0.0.2', 1)).toBe('203.0.113.9');
  });
});

describe('clientKey()', () => {
  it('keys IPv4 by the address', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });

  it('keys IPv6 by its /64, however the address is written', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
  });

  it('gives different keys to different /64s', () => {
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });
});

describe('aggregateKey()', () => {
  it('counts every /64 of an IPv6 /48 as one client', () => {
    expect(aggregateKey(clientKey('2001:db8:1:2::1'))).toBe('2001:db8:1::/48');
    expect(aggregateKey(clientKey('2001:db8:1:ffff::9'))).toBe('2001:db8:1::/48');
    expect(aggregateKey(clientKey('2001:db8:2:2::1'))).toBe('2001:db8:2::/48');
  });

  it('leaves IPv4 addresses and familiar browsers as they are', () => {
    expect(aggregateKey('203.0.113.9')).toBe('203.0.113.9');
    expect(aggregateKey('familiar:abc')).toBe('familiar:abc');
  });
});
