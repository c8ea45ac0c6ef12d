import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionStatement, fromBase64Url, signStatement } from '../../../protocol/index.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { DeviceStore } from '../../../testing/device-store.ts';
import { publicKeyFromPoint } from '../../../relay-server/security/verify-signature.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, SERVICES, servicesAvailable } from './scale-services.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';

const ADMIN_TOKEN = 'scale-test-admin-token-0123456789';

describe.runIf(servicesAvailable)('several relay instances over PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const instances: RunningRelay[] = [];
  let device: VirtualDevice;
  let keys: DeviceStore;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: SERVICES.redisUrl!, ADMIN_TOKEN };
    const first = await startRelay({ demo: false, env });
    instances.push(first);
    // Behind a load balancer every instance answers for one public origin; here that is A's.
    for (let i = 0; i < 2; i++) instances.push(await startRelay({ demo: false, env: { ...env, RELAY_ORIGIN: first.origin } }));
    const admin = new AdminClient(first.origin, ADMIN_TOKEN);
    keys = await DeviceStore.open();
    device = await userWithConnectedDevice(admin, { upn: 'scale@example.test', displayName: 'Scale Test' }, { store: keys });
  });

  afterAll(async () => {
    await device?.close();
    for (const instance of instances) await instance.stop();
    await database?.drop();
  });

  it('lets a device on instance A approve a sign-in started on B while the browser waits on C', async () => {
    const [, onB, onC] = instances as [RunningRelay, RunningRelay, RunningRelay];
    const challenge = device.waitForChallenge();
    expect(new Set(instances.map((instance) => instance.address)).size).toBe(3);
    expect(instances.map((instance) => instance.relay.hub.connectedDevices)).toEqual([1, 0, 0]);
    const signin = await new SigninClient(onB.address).createSignin({ upn: 'scale@example.test' });
    const outcome = new SigninClient(onC.address).waitForOutcome(signin);
    const pushed = await challenge;
    expect(pushed.requestId).toBe(signin.requestId);
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await outcome).toEqual({ status: 'approved' });
  });

  it('applies a decision once when two instances race to apply it', async () => {
    const [onA, onB] = instances as [RunningRelay, RunningRelay];
    const challenge = device.waitForChallenge();
    const signin = await new SigninClient(onA.origin).createSignin({ upn: 'scale@example.test' });
    await challenge;
    const account = device.accounts()[0]!;
    const signedAt = Date.now();
    const secretKey = fromBase64Url(keys.find(account.deviceId)!.secretKey);
    const fields = { relayOrigin: onA.origin, requestId: signin.requestId, deviceId: account.deviceId, decision: 'approve' as const, number: signin.number, signedAt };
    const decision = { type: 'decision' as const, ...fields, signature: signStatement(decisionStatement(fields), secretKey) };
    const stored = (await onA.relay.store.devices.byId(account.deviceId))!;
    const deciding = () => ({ id: stored.id, userId: stored.user_id, publicKey: publicKeyFromPoint(stored.public_key), lastUsedAt: 0 });
    const results = await Promise.all([
      onA.relay.signins.decide(deciding(), decision),
      onB.relay.signins.decide(deciding(), decision),
    ]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['already_decided', 'approved']);
    const log = await new AdminClient(onA.origin, ADMIN_TOKEN).listSignins({ upn: 'scale@example.test', limit: 1 });
    expect(log[0]).toMatchObject({ requestId: signin.requestId, status: 'approved' });
  });
});

