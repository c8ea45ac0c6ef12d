import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../../protocol/messages.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, servicesAvailable, TEST_PIN_KEY } from './scale-services.ts';

const ADMIN_TOKEN = 'restart-test-admin-token-0123456789';

type Backend = { name: string; env(): Promise<Record<string, string>>; cleanup(): Promise<void> };

const sqlite = (): Backend => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-restart-'));
  return {
    name: 'SQLite',
    env: async () => ({ DATA_DIR: dataDir }),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
};
const postgres = (): Backend => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
  return {
    name: 'PostgreSQL',
    env: async () => ({ DATABASE_URL: (database ??= await freshPostgresDatabase()).url, PIN_KEY: TEST_PIN_KEY }),
    cleanup: async () => database?.drop(),
  };
};

const backends = [sqlite(), ...(servicesAvailable ? [postgres()] : [])];

describe.each(backends)('a relay restarted on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await backend.cleanup();
  });

  /** Same data, same port: what a process manager restarting the relay gives the devices. */
  async function start(port = 0): Promise<RunningRelay> {
    const env = await backend.env();
    const relay = await startRelay({
      demo: false,
      port,
      dataDir: env.DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'cs-')),
      removeDataDir: false,
      env: { ...env, ADMIN_TOKEN },
    });
    return relay;
  }

  it('keeps pending requests, devices, pairing offers and the policy, and closes sockets with 1012', async () => {
    const before = await start();
    const admin = new AdminClient(before.origin, ADMIN_TOKEN);
    await admin.createUser({ upn: 'restart@example.test', displayName: 'Restart Test', groups: ['staff'] });
    const policy: Policy = { ...(await admin.getPolicy()), match: { mode: 'choose', digits: 3 }, requestTtlSeconds: 300 };
    await admin.putPolicy(policy);
    const device = await VirtualDevice.open({ autoReconnect: false });
    cleanups.push(() => device.close());
    await device.pair((await admin.createPairing('restart@example.test')).link);
    const unusedOffer = await admin.createPairing('restart@example.test');
    await device.connect();
    const signin = await new SigninClient(before.origin).createSignin({ upn: 'restart@example.test' });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    const closed = device.waitForClose(before.origin);
    const port = Number(new URL(before.origin).port);
    await before.stop();
    expect((await closed).code).toBe(1012);

    const after = await start(port);
    cleanups.push(() => after.stop());
    expect(after.origin).toBe(before.origin);
    expect(await new AdminClient(after.origin, ADMIN_TOKEN).getPolicy()).toEqual(policy);
    const second = await VirtualDevice.open();
    cleanups.push(() => second.close());
    await expect(second.pair(unusedOffer.link)).resolves.toMatchObject({ upn: 'restart@example.test' });

    await device.connect(after.origin);
    const resent = await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
    expect(resent.match).toMatchObject({ mode: 'choose', digits: 3 });
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await new SigninClient(after.origin).getStatus(signin)).toEqual({ status: 'approved' });
  });
});
