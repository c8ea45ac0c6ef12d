import { describe, expect, it } from 'vitest';
import { connectionText } from '../../../extension/components/connection-text.ts';
import { failureText } from '../../../extension/components/pin-messages.ts';
import { formatSeconds } from '../../../extension/components/use-now.ts';

describe('connectionText()', () => {
  it('says a connected account is connected, with nothing to do', () => {
    expect(connectionText({ status: 'active', connection: 'connected', authError: null })).toEqual({ label: 'Connected', advice: null });
  });

  it('says an unreachable relay will be retried', () => {
    expect(connectionText({ status: 'active', connection: 'reconnecting', authError: null }).advice).toBe(
      "Can't reach the relay. It will keep trying.",
    );
  });

  it.each(['device_revoked', 'unknown_device', 'closed_4403', 'closed_4401'])(
    'tells how to add back an authenticator the relay removed (%s)',
    (code) => {
      const text = connectionText({ status: 'active', connection: 'error', authError: code });
      expect(text.advice).toBe('This authenticator was removed on the relay. Add it again from Security info.');
    },
  );

  it('never shows a code, whatever the refusal', () => {
    for (const connection of ['idle', 'connecting', 'connected', 'reconnecting', 'error'] as const) {
      for (const authError of [null, 'bad_signature', 'closed_4403', 'device_revoked']) {
        const { label, advice } = connectionText({ status: 'active', connection, authError });
        expect(`${label} ${advice ?? ''}`).not.toMatch(/_|\d{4}|Error \(/);
      }
    }
  });
});

describe('formatSeconds()', () => {
  it('rounds up, so a wait that is not over never reads 0 s', () => {
    expect(formatSeconds(1)).toBe('1 s');
    expect(formatSeconds(29_001)).toBe('30 s');
    expect(formatSeconds(90_000)).toBe('1:30');
  });
});

describe('failureText() for the PIN slow-down', () => {
  it('counts down the time left, rounded up', () => {
    expect(failureText('locked', 30_000, 500)).toBe('Too many wrong PINs. Try again in 30 s.');
    expect(failureText('locked', 30_000, 29_999)).toBe('Too many wrong PINs. Try again in 1 s.');
  });

  it('never says "0 s" once the wait is over', () => {
    expect(failureText('locked', 30_000, 30_000)).toBe('You can enter your PIN again now.');
    expect(failureText('wrong_pin', 30_000, 31_000)).toBe('Wrong PIN. Nothing was signed.');
  });
});
