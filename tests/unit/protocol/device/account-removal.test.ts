import { afterEach, describe, expect, it, vi } from 'vitest';
import { RemovalWaiters, sendRemoval } from '../../../../protocol/device/account-removal.ts';

const DEVICE = 'AAAAAAAAAAAAAAAAAAAAAA';
const OTHER = 'BBBBBBBBBBBBBBBBBBBBBB';
const frame = { type: 'remove' as const, deviceId: DEVICE, signature: 'S'.repeat(86) };

afterEach(() => {
  vi.useRealTimers();
});

describe('RemovalWaiters', () => {
  it('answers ok on `revoked` naming the device, and leaves the frame to the code that forgets the account', async () => {
    const waiters = new RemovalWaiters();
    const answer = waiters.wait(DEVICE, 1_000);
    expect(waiters.take({ type: 'revoked', deviceId: OTHER })).toBe(false);
    expect(waiters.take({ type: 'revoked', deviceId: DEVICE })).toBe(false);
    expect(await answer).toEqual({ ok: true });
  });

  it('takes an `error` naming the device as the refusal, and ignores errors naming no device', async () => {
    const waiters = new RemovalWaiters();
    const answer = waiters.wait(DEVICE, 1_000);
    expect(waiters.take({ type: 'error', code: 'internal_error', message: 'x' })).toBe(false);
    expect(waiters.take({ type: 'error', code: 'bad_signature', message: 'no', deviceId: DEVICE })).toBe(true);
    expect(await answer).toMatchObject({ ok: false, code: 'bad_signature' });
    // Nobody waits any more: a later error is not taken.
    expect(waiters.take({ type: 'error', code: 'bad_signature', message: 'no', deviceId: DEVICE })).toBe(false);
  });

  it('ends every wait with unavailable on `error unavailable` naming no device, and leaves the frame to the other waits', async () => {
    const waiters = new RemovalWaiters();
    const first = waiters.wait(DEVICE, 1_000);
    const second = waiters.wait(OTHER, 1_000);
    expect(waiters.take({ type: 'error', code: 'unavailable', message: 'database away' })).toBe(false);
    expect(await first).toMatchObject({ ok: false, code: 'unavailable' });
    expect(await second).toMatchObject({ ok: false, code: 'unavailable' });
  });

  it('ends with timeout when the relay does not answer, and with offline when the socket closes', async () => {
    vi.useFakeTimers();
    const waiters = new RemovalWaiters();
    const late = waiters.wait(DEVICE, 1_000);
    vi.advanceTimersByTime(1_000);
    expect(await late).toMatchObject({ ok: false, code: 'timeout' });
    const dropped = waiters.wait(DEVICE, 1_000);
    waiters.dropAll();
    expect(await dropped).toMatchObject({ ok: false, code: 'offline' });
  });
});

describe('sendRemoval()', () => {
  it('sends only on the socket whose nonce the frame was signed over', async () => {
    const send = vi.fn(() => true);
    const answer = await sendRemoval({
      connection: { nonce: 'newer-socket-nonce', send },
      nonce: 'signed-nonce',
      frame,
      waiters: new RemovalWaiters(),
      timeoutMs: 1_000,
    });
    expect(answer).toMatchObject({ ok: false, code: 'offline' });
    expect(send).not.toHaveBeenCalled();
  });

  it('answers offline at once when the frame cannot be sent', async () => {
    const answer = await sendRemoval({
      connection: { nonce: 'n', send: () => false },
      nonce: 'n',
      frame,
      waiters: new RemovalWaiters(),
      timeoutMs: 60_000,
    });
    expect(answer).toMatchObject({ ok: false, code: 'offline' });
  });
});
