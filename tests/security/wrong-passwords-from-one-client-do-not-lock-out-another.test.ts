import { describe, expect, it } from 'vitest';
import { MAX_FAILED_PASSWORDS } from '../../relay-server/security/password-throttle.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

const PASSWORD = 'correct horse battery';

/** Issue 10: ten wrong passwords for a name, from anywhere, made the right password and a fresh TAP answer 429. */
describe('wrong passwords from one client', () => {
  it('refuse that client only: the right password and a fresh TAP from other clients still work, and every attempt is logged', async () => {
    const relay = await startTestRelay({ env: { TRUST_PROXY: '1' } });
    const user = await relay.createUser({ password: PASSWORD });
    await relay.pairDevice(user.upn);
    const attacker = new ClientAt(relay.origin, '198.51.100.66');

    for (let i = 0; i < MAX_FAILED_PASSWORDS; i += 1) {
      expect((await attacker.startSignin({ upn: user.upn, password: `guess ${i}` })).status).toBe(401);
    }
    const refused = await attacker.startSignin({ upn: user.upn, password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error.message).toMatch(/Try again in \d+ minutes?\./);
    // The attacker keeps trying through the page as well: still refused, with the same words.
    const page = await attacker.passwordPage(user.upn, 'another guess');
    expect(page.status).toBe(429);
    expect(page.headers.get('retry-after')).not.toBeNull();
    expect(page.html).toMatch(/Try again in \d+ minutes?\./);

    // The real user elsewhere: the right password opens the push, and the page signs them in.
    const owner = new ClientAt(relay.origin, '203.0.113.7');
    expect((await owner.startSignin({ upn: user.upn, password: PASSWORD })).status).toBe(201);
    expect((await owner.passwordPage(user.upn, PASSWORD)).status).toBe(303);

    // A fresh Temporary Access Pass from a third client is checked too.
    const tap = await relay.admin.issueTap(user.upn, { lifetimeMinutes: 60, oneTime: true });
    const helpdesk = new ClientAt(relay.origin, '192.0.2.44');
    expect((await helpdesk.passwordPage(user.upn, tap.code)).status).toBe(303);

    // The sign-in log: ten wrong passwords, one refused attempt (later refusals in the same
    // window are not logged again), the attacker's address on each.
    const log = await relay.admin.listSignins({ upn: user.upn, limit: 100 });
    const fromAttacker = log.filter((row) => row.ip === attacker.ip);
    expect(fromAttacker.filter((row) => row.reason === 'invalid_credentials')).toHaveLength(MAX_FAILED_PASSWORDS);
    expect(fromAttacker.filter((row) => row.reason === 'password_throttled')).toHaveLength(1);
  });

  it('log an unknown name, bounded: one row per wrong password until the throttle, then one per window', async () => {
    const relay = await startTestRelay({ env: { TRUST_PROXY: '1' } });
    const attacker = new ClientAt(relay.origin, '198.51.100.67');
    const upn = 'nobody@example.test';
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILED_PASSWORDS + 15; i += 1)
      statuses.push((await attacker.startSignin({ upn, password: `guess ${i}` })).status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(MAX_FAILED_PASSWORDS);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    const log = await relay.admin.listSignins({ upn, limit: 100 });
    expect(log).toHaveLength(MAX_FAILED_PASSWORDS + 1);
    expect(log.find((row) => row.reason === 'password_throttled')).toMatchObject({ upn, status: 'denied', ip: attacker.ip });
  });
});
