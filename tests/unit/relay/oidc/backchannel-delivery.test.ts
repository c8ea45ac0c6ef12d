import { describe, expect, it, vi } from 'vitest';
import { BackchannelDelivery } from '../../../../relay-server/oidc/backchannel-delivery.ts';

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { info: vi.fn(at('info')), warn: vi.fn(at('warn')) } as never };
}

describe('BackchannelDelivery', () => {
  it('retries a failing delivery a few times, then logs the failure once, without the token', async () => {
    const { lines, logger } = recordingLogger();
    const delivery = new BackchannelDelivery(logger, [1, 1, 1]);
    const post = vi.fn(() => Promise.reject(new Error('expected 200 OK from http://app.example/logout, got: 500')));
    delivery.send('app-1', 'sid-1', post);
    await delivery.settled();
    expect(post).toHaveBeenCalledTimes(4);
    const failures = lines.filter((line) => line.level === 'warn');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.fields).toMatchObject({ event: 'oidc.backchannel_logout_failed', clientId: 'app-1', attempts: 4 });
  });

  it('stops retrying once the app answers', async () => {
    const { lines, logger } = recordingLogger();
    const delivery = new BackchannelDelivery(logger, [1, 1, 1]);
    let calls = 0;
    delivery.send('app-1', 'sid-1', () => (++calls < 2 ? Promise.reject(new Error('503')) : Promise.resolve()));
    await delivery.settled();
    expect(calls).toBe(2);
    expect(lines.at(-1)!.fields).toMatchObject({ event: 'oidc.backchannel_logout', attempt: 2 });
  });

  it('sends one logout per app session even when several sign-outs name it at once, and never waits for the app', async () => {
    const { logger } = recordingLogger();
    const delivery = new BackchannelDelivery(logger, []);
    let release!: () => void;
    const post = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    delivery.send('app-1', 'sid-1', post); // returns at once while the app is still answering
    delivery.send('app-1', 'sid-1', post);
    delivery.send('app-2', 'sid-1', () => Promise.resolve());
    expect(post).toHaveBeenCalledTimes(1);
    release();
    await delivery.settled();
  });
});
