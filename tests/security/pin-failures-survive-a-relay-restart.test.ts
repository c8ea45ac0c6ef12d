import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ManualClock } from '../../relay-server/clock.ts';
import { AdminClient } from '../../testing/admin-client.ts';
import { startRelay } from '../../testing/start-relay.ts';
import { pairKeys, TEST_PIN } from '../integration/helpers/paired-keys.ts';
import { rawUnlock } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { TEST_TIMING } from '../integration/helpers/test-relay.ts';

/**
 * Counts kept in memory would give a thief 10 fresh guesses after every restart (or every
 * instance). They are in the database: failures, and attempts still open at a restart (which the
 * closing relay turns into failures), are all there when the relay comes back.
 */
describe('PIN failures', () => {
  it('survive a relay restart, open attempts included', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-pin-restart-'));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock();
    const env = { ADMIN_TOKEN: 'pin-restart-admin-token-0123456789' };
    const start = () => startRelay({ dataDir, demo: false, clock, timing: TEST_TIMING, env, removeDataDir: false });
    const first = await start();
    const relay = { admin: new AdminClient(first.origin, env.ADMIN_TOKEN), origin: first.origin };
    await relay.admin.createUser({ upn: 'restart@example.test', displayName: 'Restart' });
    const keys = await pairKeys(relay, 'restart@example.test');
    const thief = (await RawDeviceSocket.authenticated(first.origin, [keys])).raw;
    for (const pin of ['000000', '111111', '222222']) expect((await rawUnlock(thief, first.origin, keys, pin)).ok).toBe(false);
    await first.stop();

    const second = await startRelay({
      dataDir,
      demo: false,
      clock,
      timing: TEST_TIMING,
      env,
      removeDataDir: false,
      port: new URL(first.origin).port ? Number(new URL(first.origin).port) : 0,
    });
    onTestFinished(() => second.stop());
    expect(second.origin).toBe(first.origin);
    const owner = (await RawDeviceSocket.authenticated(second.origin, [keys])).raw;
    // 3 failures kept: 10 - 3 - this attempt.
    expect(await rawUnlock(owner, second.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 6 });
  });
});
