import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../../../../relay-server/http/trusted-proxies.ts';

describe('TrustedProxies (FORWARD_AUTH_PROXIES)', () => {
  it('defaults to loopback, IPv4-mapped forms included', () => {
    const proxies = TrustedProxies.defaults();
    for (const peer of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(proxies.includes(peer), peer).toBe(true);
    for (const peer of ['10.0.0.1', '::2', '', 'localhost', '::ffff:10.0.0.1']) expect(proxies.includes(peer), peer).toBe(false);
  });

  it('takes addresses and CIDR ranges', () => {
    const parsed = TrustedProxies.parse('10.0.0.5, 192.168.0.0/16, fd00::/8');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.proxies.includes('10.0.0.5')).toBe(true);
    expect(parsed.proxies.includes('10.0.0.6')).toBe(false);
    expect(parsed.proxies.includes('192.168.44.1')).toBe(true);
    expect(parsed.proxies.includes('fd12::1')).toBe(true);
    expect(parsed.proxies.includes('127.0.0.1')).toBe(false);
  });

  it('refuses entries that are not addresses or ranges, naming them', () => {
    for (const text of ['proxy.example.com', '10.0.0.0/33', '::/129', '10.0.0.1/8/2', '', ' , ']) {
      const parsed = TrustedProxies.parse(text);
      expect(parsed.ok, text).toBe(false);
    }
  });
});
