import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { publicKeyFromPoint } from '../../../relay-server/security/verify-signature.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { freshPostgresDatabase, SERVICES, servicesAvailable, TEST_PIN_KEY } from './scale-services.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';
import { decisionFrame, pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';

const ADMIN_TOKEN = 'scale-test-admin-token-0123456789';

describe.runIf(servicesAvailable)('several relay instances over PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const instances: RunningRelay[] = [];
  let device: VirtualDevice;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: SERVICES.redisUrl!, ADMIN_TOKEN, PIN_KEY: TEST_PIN_KEY };
    const first = await startRelay({ demo: false, env });
    instances.push(first);
    // Behind a load balancer every instance answers for one public origin; here that is A's.
    for (let i = 0; i < 2; i++) instances.push(await startRelay({ demo: false, env: { ...env, RELAY_ORIGIN: first.origin } }));
    const admin = new AdminClient(first.origin, ADMIN_TOKEN);
    device = await userWithConnectedDevice(admin, { upn: 'scale@example.test', displayName: 'Scale Test' });
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
    const admin = new AdminClient(onA.origin, ADMIN_TOKEN);
    const keys = await pairKeys({ admin, origin: onA.origin }, 'scale@example.test');
    const signin = await new SigninClient(onA.origin).createSignin({ upn: 'scale@example.test' });
    const decision = decisionFrame({ origin: onA.origin, clock: { now: () => Date.now() } }, keys, {
      requestId: signin.requestId,
      decision: 'approve',
      number: signin.number,
    });
    const stored = (await onA.relay.store.devices.byId(keys.deviceId))!;
    const deciding = () => ({
      id: stored.id,
      userId: stored.user_id,
      approvalKey: publicKeyFromPoint(stored.public_key),
      connectKey: publicKeyFromPoint(stored.connect_public_key!),
      lastUsedAt: 0,
    });
    const results = await Promise.all([onA.relay.signins.decide(deciding(), decision), onB.relay.signins.decide(deciding(), decision)]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['already_decided', 'approved']);
    const log = await admin.listSignins({ upn: 'scale@example.test', limit: 1 });
    expect(log[0]).toMatchObject({ requestId: signin.requestId, status: 'approved' });
    await admin.revokeDevice(keys.deviceId);
  });

  it('tells a device on instance A about an authenticator added through B and removed through C', async () => {
    const [onA, onB, onC] = instances as [RunningRelay, RunningRelay, RunningRelay];
    const first = await pairKeys(
      { admin: new AdminClient(onA.origin, ADMIN_TOKEN), origin: onA.origin },
      'scale@example.test',
      'Listening',
    );
    const { raw, ready } = await RawDeviceSocket.authenticated(onA.origin, [first]);
    expect(ready.accepted).toEqual([first.deviceId]);
    // Every instance answers for A's origin, so that is what the pair statement names.
    const added = await pairKeys(
      { admin: new AdminClient(onB.address, ADMIN_TOKEN), origin: onA.origin, address: onB.address },
      'scale@example.test',
      'Added on B',
    );
    expect(await raw.next('notice', 0)).toMatchObject({
      type: 'notice',
      deviceId: first.deviceId,
      kind: 'authenticator_added',
      name: 'Added on B',
    });
    await new AdminClient(onC.address, ADMIN_TOKEN).revokeDevice(added.deviceId);
    expect(await raw.next('notice', 1)).toMatchObject({
      type: 'notice',
      deviceId: first.deviceId,
      kind: 'authenticator_removed',
      name: 'Added on B',
    });
    await new AdminClient(onA.origin, ADMIN_TOKEN).revokeDevice(first.deviceId);
  });
});
