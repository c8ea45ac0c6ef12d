import { describe, expect, it } from 'vitest';
import { passwordWork } from '../../relay-server/security/passwords.ts';
import { relayWithDevice, WAIT_MS, type RelayWithDevice } from '../integration/helpers/test-relay.ts';

/**
 * The attack: 64 concurrent wrong passwords (known and unknown names, so no per-name throttle
 * stops them) used to fill libuv's thread pool with scrypt, and an approval, whose signature is
 * checked on the same pool, waited 8.4 s behind them. Now password hashing has its own limit:
 * the approval completes while the spray's derivations are still running or waiting.
 */
const SPRAY = 64;

async function approveOne(relay: RelayWithDevice): Promise<void> {
  const signin = await relay.signin.createSignin({ upn: relay.user.upn });
  const challenge = await relay.device.waitForChallenge((c) => c.requestId === signin.requestId);
  const result = await relay.device.approve(challenge.requestId, signin.number);
  expect(result.outcome).toBe('approved');
  expect((await relay.signin.getStatus(signin)).status).toBe('approved');
}

describe('password hashing under a spray', () => {
  it('lets an approval complete while 64 wrong passwords are in flight, with scrypt never over its limit', async () => {
    const relay = await relayWithDevice({ password: 'the-right-password-1' });
    const known = await Promise.all(Array.from({ length: 2 }, (_, i) => relay.createUser({ password: `known-password-${i}` })));
    // A quiet approval first: the same path, warmed up.
    await approveOne(relay);
    passwordWork.peakRunning = 0;

    const answers: Promise<{ status: number; retryAfter: string | null; code: string }>[] = [];
    for (let i = 0; i < SPRAY; i++) {
      const upn = i % 2 === 0 ? known[i % known.length]!.upn : `nobody-${i}@example.test`;
      answers.push(
        fetch(`${relay.origin}/api/v1/signins`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ upn, password: `wrong-${i}` }),
          signal: AbortSignal.timeout(WAIT_MS * 4),
        }).then(async (response) => ({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          code: ((await response.json()) as { error: { code: string } }).error.code,
        })),
      );
    }
    // Wait until the spray is inside the limiter, then approve in the middle of it.
    await expect.poll(() => passwordWork.active, { timeout: WAIT_MS, interval: 10 }).toBeGreaterThan(0);
    await approveOne(relay);
    const stillWorking = passwordWork.active + passwordWork.queued;

    const settled = await Promise.all(answers);
    expect(stillWorking).toBeGreaterThan(0);
    expect(passwordWork.peakRunning).toBeLessThanOrEqual(passwordWork.concurrency);
    expect(passwordWork.concurrency).toBeLessThanOrEqual(2);
    // Each attempt is a wrong password, or refused at once (the line was full, or a throttle said no).
    for (const answer of settled) {
      if (answer.status === 401) expect(answer.code).toBe('invalid_credentials');
      else {
        // Revision 3: the fair line refuses the sprayer's extra checks for that client alone (429), never everyone (503).
        expect(answer.status).toBe(429);
        expect(answer.code).toBe('rate_limited');
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }
    }
    expect(settled.filter((answer) => answer.status === 429).length).toBeGreaterThan(0);
    // The right password still works once the spray is over.
    expect((await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn, password: 'the-right-password-1' } })).status).toBe(
      201,
    );
  });
});
