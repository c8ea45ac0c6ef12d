import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../protocol/index.ts';
import { DEMO_PUSHES_PER_10_MIN } from '../../../relay-server/demo/seed-demo.ts';
import { startRelay } from '../../../testing/start-relay.ts';

// The demo (`npm start`) must survive a visitor's dozen tries, so it starts with a larger push budget than the default;
// an administrator's own policy always wins, also across restarts.
describe('the demo relay policy', () => {
  it('starts with the demo push budget and otherwise the default policy', async () => {
    const relay = await startRelay({ demo: true });
    try {
      expect(DEMO_PUSHES_PER_10_MIN).toBeGreaterThan(DEFAULT_POLICY.maxPushesPer10Min);
      expect(await relay.relay.store.policy.get()).toEqual({ ...DEFAULT_POLICY, maxPushesPer10Min: DEMO_PUSHES_PER_10_MIN });
    } finally {
      await relay.stop();
    }
  });

  it('keeps the policy an administrator saved when the demo starts again on the same data', async () => {
    const first = await startRelay({ demo: true, removeDataDir: false });
    const saved = { ...(await first.relay.store.policy.get()), maxPushesPer10Min: 7 };
    await first.relay.store.policy.put(saved, Date.now());
    await first.stop();
    const again = await startRelay({ demo: true, dataDir: first.dataDir, removeDataDir: true });
    try {
      expect(await again.relay.store.policy.get()).toEqual(saved);
    } finally {
      await again.stop();
    }
  });

  it('leaves a relay without demo mode on the default policy', async () => {
    const relay = await startRelay({ demo: false });
    try {
      expect(await relay.relay.store.policy.get()).toEqual(DEFAULT_POLICY);
    } finally {
      await relay.stop();
    }
  });
});
