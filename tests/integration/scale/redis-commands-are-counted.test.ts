import { describe, expect, it } from 'vitest';
import { RedisFanout } from '../../../relay-server/hub/redis-fanout.ts';
import { SERVICES, servicesAvailable } from './scale-services.ts';

/** The bench divides the commands the relays sent Redis by the sign-ins (docs/performance.md): each one counts. */
describe.runIf(servicesAvailable)('RedisFanout', () => {
  it('counts every command it sends, subscriptions and publishes alike', async () => {
    let commands = 0;
    const fanout = new RedisFanout(
      SERVICES.redisUrl!,
      () => undefined,
      () => (commands += 1),
    );
    try {
      await fanout.ready;
      const afterSubscribe = commands;
      expect(afterSubscribe).toBeGreaterThanOrEqual(1);
      fanout.publishStatus('request-id', { status: 'approved' } as never);
      fanout.sendToDevice('device-id', { type: 'ping' } as never);
      await expect.poll(() => commands).toBe(afterSubscribe + 2);
    } finally {
      await fanout.close();
    }
  });
});
