import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../relay-server/config.ts';

/** The environment every case shares: no admin token file is written, nothing is read from disk. */
const BASE = { DATA_DIR: '/nonexistent-countersign-config-test', ADMIN_TOKEN: 'a-config-test-admin-token-0123' };

describe('loadConfig(): the relay origin', () => {
  it.each([
    'https://signin.example.com',
    'https://signin.example.com:8443',
    'http://127.0.0.1:8787',
    'http://127.1.2.3:8787',
    'http://[::1]:8787',
    'http://localhost:8787',
  ])('accepts %s without a warning', (origin) => {
    const loaded = loadConfig({ ...BASE, RELAY_ORIGIN: origin });
    expect(loaded.config.relayOrigin).toBe(origin);
    expect(loaded.warnings).toEqual([]);
  });

  it.each([
    'http://signin.example.com',
    'http://10.0.0.5:8787',
    'http://192.168.1.20',
    'http://[2001:db8::1]:8787',
    'http://localhost.example.com',
  ])('refuses the plain-http origin %s off loopback, naming RELAY_ORIGIN and the way out', (origin) => {
    let error: unknown;
    try {
      loadConfig({ ...BASE, RELAY_ORIGIN: origin });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`RELAY_ORIGIN ${origin}`);
    expect(message).toContain('https');
    expect(message).toContain('ALLOW_INSECURE_ORIGIN=1');
  });

  it('starts on such an origin with ALLOW_INSECURE_ORIGIN=1, with a warning to print', () => {
    const loaded = loadConfig({ ...BASE, RELAY_ORIGIN: 'http://signin.example.com', ALLOW_INSECURE_ORIGIN: '1' });
    expect(loaded.config.relayOrigin).toBe('http://signin.example.com');
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toMatch(/RELAY_ORIGIN http:\/\/signin\.example\.com is plain http.*ALLOW_INSECURE_ORIGIN=1.*unencrypted/);
  });

  it('refuses a non-loopback HOST without RELAY_ORIGIN, since the origin would be http://{HOST}:{PORT}', () => {
    expect(() => loadConfig({ ...BASE, HOST: '0.0.0.0' })).toThrow(/HOST 0\.0\.0\.0 is not loopback and RELAY_ORIGIN is unset/);
    // METRICS_TOKEN set: an open /metrics on a non-loopback HOST is its own warning.
    const metricsToken = 'metrics-token-0123456789';
    expect(
      loadConfig({ ...BASE, HOST: '0.0.0.0', RELAY_ORIGIN: 'https://signin.example.com', METRICS_TOKEN: metricsToken }).warnings,
    ).toEqual([]);
    expect(loadConfig({ ...BASE, HOST: '0.0.0.0', ALLOW_INSECURE_ORIGIN: '1', METRICS_TOKEN: metricsToken }).warnings).toHaveLength(1);
    expect(loadConfig({ ...BASE, HOST: 'localhost' }).warnings).toEqual([]);
    expect(loadConfig({ ...BASE, HOST: '::1' }).warnings).toEqual([]);
  });

  it('takes only 1 or 0 for ALLOW_INSECURE_ORIGIN', () => {
    expect(() => loadConfig({ ...BASE, ALLOW_INSECURE_ORIGIN: 'yes' })).toThrow(/ALLOW_INSECURE_ORIGIN must be 1 or 0/);
    expect(() => loadConfig({ ...BASE, RELAY_ORIGIN: 'http://signin.example.com', ALLOW_INSECURE_ORIGIN: '0' })).toThrow(ConfigError);
  });
});
