import { describe, expect, it } from 'vitest';
import {
  BACKSTOP_FACTOR,
  MAX_FAILED_PASSWORDS,
  PASSWORD_WINDOW_MS,
  PasswordThrottle,
} from '../../../relay-server/security/password-throttle.ts';

describe('PasswordThrottle', () => {
  it('refuses one client for one name after MAX_FAILED_PASSWORDS, not another client, until the window ends', () => {
    let now = 1_000;
    const throttle = new PasswordThrottle(() => now);
    for (let i = 0; i < MAX_FAILED_PASSWORDS; i += 1) throttle.recordFailure('Alice@Example.test', '198.51.100.66');
    expect(throttle.check('alice@example.test', '198.51.100.66')).toEqual({
      allowed: false,
      scope: 'client',
      retryAfterMs: PASSWORD_WINDOW_MS,
    });
    expect(throttle.check('alice@example.test', '203.0.113.7')).toEqual({ allowed: true });
    now += PASSWORD_WINDOW_MS;
    expect(throttle.check('alice@example.test', '198.51.100.66')).toEqual({ allowed: true });
  });

  it('has a per-name backstop across clients and a per-client backstop across names', () => {
    const throttle = new PasswordThrottle(() => 0);
    const backstop = MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR;
    for (let i = 0; i < backstop; i += 1) throttle.recordFailure('alice@example.test', `198.51.${Math.floor(i / 5)}.${i % 5}`);
    expect(throttle.check('alice@example.test', '203.0.113.7')).toMatchObject({ allowed: false, scope: 'user' });
    for (let i = 0; i < backstop; i += 1) throttle.recordFailure(`user${i}@example.test`, '192.0.2.1');
    expect(throttle.check('bob@example.test', '192.0.2.1')).toMatchObject({ allowed: false, scope: 'spray' });
    expect(throttle.check('bob@example.test', '192.0.2.2')).toEqual({ allowed: true });
  });

  it('logs a refused attempt once per window per client and name', () => {
    let now = 0;
    const throttle = new PasswordThrottle(() => now);
    expect(throttle.shouldLogThrottled('a@example.test', '192.0.2.1', 'client')).toBe(true);
    expect(throttle.shouldLogThrottled('A@example.test', '192.0.2.1', 'client')).toBe(false);
    expect(throttle.shouldLogThrottled('a@example.test', '192.0.2.2', 'client')).toBe(true);
    now += PASSWORD_WINDOW_MS;
    expect(throttle.shouldLogThrottled('a@example.test', '192.0.2.1', 'client')).toBe(true);
  });
});
