import { describe, expect, it } from 'vitest';
import { EvaluationWaiters } from '../../../../protocol/device/pin-frames.ts';
import { isRelayUnavailable } from '../../../../protocol/device/relay-frames.ts';
import { DecisionWaiters } from '../../../../extension/lib/decide.ts';

const DEVICE = 'AAAAAAAAAAAAAAAAAAAAAA';
const OTHER = 'BBBBBBBBBBBBBBBBBBBBBB';
const UNAVAILABLE = { type: 'error' as const, code: 'unavailable', message: 'The relay cannot reach its database right now.' };

/**
 * `error unavailable` names no request or device (the relay could not reach its database for a
 * frame of that socket): whatever waits on that relay ends at once instead of at its timeout.
 */
describe('error unavailable', () => {
  it('is an error with that code naming no device', () => {
    expect(isRelayUnavailable(UNAVAILABLE)).toBe(true);
    expect(isRelayUnavailable({ ...UNAVAILABLE, deviceId: DEVICE })).toBe(false);
    expect(isRelayUnavailable({ ...UNAVAILABLE, code: 'internal_error' })).toBe(false);
    expect(isRelayUnavailable({ type: 'ping', t: 1 })).toBe(false);
  });

  it('ends every unlock and rekey waiting on the socket, without consuming the frame', async () => {
    const waiters = new EvaluationWaiters();
    const unlock = waiters.wait('unlock', DEVICE, 60_000);
    const rekey = waiters.wait('rekey', OTHER, 60_000);
    expect(waiters.take(UNAVAILABLE)).toBe(false);
    expect(await unlock).toMatchObject({ ok: false, code: 'unavailable' });
    expect(await rekey).toMatchObject({ ok: false, code: 'unavailable' });
  });

  it("ends the extension's decisions waiting on that relay only", async () => {
    const waiters = new DecisionWaiters();
    const here = waiters.wait('request-here', 'https://relay.example', 60_000);
    const elsewhere = waiters.wait('request-elsewhere', 'https://other.example', 200);
    let ended = false;
    void here.then(() => (ended = true));
    // One naming a device answers that device's own frame (an unlock, a claim), not a decision.
    waiters.take('https://relay.example', { ...UNAVAILABLE, deviceId: DEVICE });
    await Promise.resolve();
    expect(ended).toBe(false);
    waiters.take('https://relay.example', UNAVAILABLE);
    expect(await here).toBe('unavailable');
    // The other relay's decision still waits for its own answer (here: its timeout).
    expect(await elsewhere).toBeNull();
  });
});
