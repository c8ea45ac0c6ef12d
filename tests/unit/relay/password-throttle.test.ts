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

  it('counts an IPv6 /48 as one client for the spray backstop', () => {
    const throttle = new PasswordThrottle(() => 0);
    const backstop = MAX_FAILED_PASSWORDS * BACKSTOP_FACTOR;
    // A new /64 of the same /48 for every attempt: each is a client of its own for one name, not for the backstop.
    for (let i = 0; i < backstop; i += 1) throttle.recordFailure(`user${i}@example.test`, `2001:db8:7:${i.toString(16)}::/64`);
    expect(throttle.check('bob@example.test', '2001:db8:7:ffff::/64')).toMatchObject({ allowed: false, scope: 'spray' });
    expect(throttle.check('bob@example.test', '2001:db8:8:1::/64')).toEqual({ allowed: true });
  });

  it('bounds the entries for names that do not exist, and a full table refuses unfamiliar clients only', () => {
    let now = 0;
    const throttle = new PasswordThrottle(() => now, { maxUnknownNameEntries: 20 });
    // Ten made-up names from ten addresses: an entry per name and client, and one per name.
    for (let i = 0; i < 10; i += 1) throttle.recordFailure(`ghost${i}@example.test`, `198.51.100.${i}`, false, false);
    expect(throttle.unknownNames).toBe(20);
    // Past the bound a failure for yet another made-up name is not kept.
    throttle.recordFailure('ghost-more@example.test', '198.51.100.200', false, false);
    expect(throttle.unknownNames).toBe(20);

    // A new (name, client) from an unfamiliar client is refused, for a real name as for a made-up one,
    // so the answer tells nobody which names exist; the Retry-After is when the oldest entry ends.
    for (const name of ['alice@example.test', 'ghost-new@example.test']) {
      expect(throttle.check(name, '203.0.113.7')).toEqual({ allowed: false, scope: 'names', retryAfterMs: PASSWORD_WINDOW_MS });
    }
    // A familiar browser never needs these entries: it is checked as ever.
    expect(throttle.check('alice@example.test', 'familiar:abc', true)).toEqual({ allowed: true });
    // A client that already has an entry for the name keeps being counted as before.
    expect(throttle.check('ghost3@example.test', '198.51.100.3')).toEqual({ allowed: true });
    // Known names' failures do not fill the table.
    throttle.recordFailure('alice@example.test', '203.0.113.8');
    expect(throttle.unknownNames).toBe(20);

    now += PASSWORD_WINDOW_MS;
    expect(throttle.unknownNames).toBe(0);
    expect(throttle.check('alice@example.test', '203.0.113.7')).toEqual({ allowed: true });
  });

  it('logs refusals for a full table once per client, not once per name', () => {
    const throttle = new PasswordThrottle(() => 0);
    expect(throttle.shouldLogThrottled('a@example.test', '192.0.2.1', 'names')).toBe(true);
    expect(throttle.shouldLogThrottled('b@example.test', '192.0.2.1', 'names')).toBe(false);
  });
});
