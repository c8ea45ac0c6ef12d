import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../relay-server/config.ts';

const BASE = { DATA_DIR: '/nonexistent-countersign-config-test', ADMIN_TOKEN: 'a-config-test-admin-token-0123' };

describe('loadConfig(): FORWARD_AUTH_PROXIES', () => {
  it('defaults to loopback and takes addresses and ranges', () => {
    expect(loadConfig(BASE).config.forwardAuthProxies?.includes('127.0.0.1')).toBe(true);
    expect(loadConfig(BASE).config.forwardAuthProxies?.includes('10.0.0.2')).toBe(false);
    const set = loadConfig({ ...BASE, FORWARD_AUTH_PROXIES: '10.0.0.0/24, 192.0.2.7' }).config.forwardAuthProxies!;
    expect(set.includes('10.0.0.2')).toBe(true);
    expect(set.includes('127.0.0.1')).toBe(false);
  });

  it('refuses to start with an entry that is not an address or range, naming it', () => {
    expect(() => loadConfig({ ...BASE, FORWARD_AUTH_PROXIES: 'proxy.internal' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, FORWARD_AUTH_PROXIES: 'proxy.internal' })).toThrow(/FORWARD_AUTH_PROXIES: "proxy.internal"/);
  });
});

describe('loadConfig(): COOKIE_DOMAIN', () => {
  it('takes a domain the relay’s host lies under, with or without a leading dot', () => {
    expect(loadConfig({ ...BASE, RELAY_ORIGIN: 'https://signin.example.com', COOKIE_DOMAIN: 'example.com' }).config.cookieDomain).toBe(
      'example.com',
    );
    expect(loadConfig({ ...BASE, RELAY_ORIGIN: 'https://signin.example.com', COOKIE_DOMAIN: '.Example.COM' }).config.cookieDomain).toBe(
      'example.com',
    );
    expect(loadConfig(BASE).config.cookieDomain).toBeUndefined();
  });

  it('refuses a domain the relay is not under, an IP address, a single label or a URL', () => {
    for (const domain of ['other.com', 'ample.com', '127.0.0.1', 'com', 'https://example.com', 'example.com:443', 'exämple.com']) {
      expect(() => loadConfig({ ...BASE, RELAY_ORIGIN: 'https://signin.example.com', COOKIE_DOMAIN: domain }), domain).toThrow(
        /COOKIE_DOMAIN/,
      );
    }
    // Without RELAY_ORIGIN the relay is http://127.0.0.1:…, under no domain.
    expect(() => loadConfig({ ...BASE, COOKIE_DOMAIN: 'example.com' })).toThrow(
      /COOKIE_DOMAIN example.com must contain the relay's own host/,
    );
  });
});
