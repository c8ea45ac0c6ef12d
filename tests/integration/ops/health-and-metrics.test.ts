import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';

describe('health, readiness and metrics', () => {
  let relay: RunningRelay;
  let device: VirtualDevice;

  beforeAll(async () => {
    relay = await startRelay({ demo: false });
    const admin = new AdminClient(relay.origin, relay.adminToken);
    device = await userWithConnectedDevice(admin, { upn: 'metrics@example.test', displayName: 'Metrics' });
  });
  afterAll(async () => {
    await device?.close();
    await relay?.stop();
  });

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${relay.origin}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${relay.origin}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('counts connected devices, pushes, decisions by outcome and round trips', async () => {
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'metrics@example.test' });
    await device.waitForChallenge((c) => c.requestId === signin.requestId);
    await device.deny(signin.requestId);
    const text = await (await fetch(`${relay.origin}/metrics`)).text();
    expect(text).toMatch(/^countersign_connected_devices 1$/m);
    expect(text).toMatch(/^countersign_pushes_total 1$/m);
    expect(text).toMatch(/^countersign_decisions_total\{outcome="denied"\} 1$/m);
    expect(text).toMatch(/^countersign_push_round_trip_seconds_count 1$/m);
  });

  it('counts the statements sent to the database, so the bench can divide them by sign-ins', async () => {
    const count = async () =>
      Number(/^countersign_database_statements_total (\d+)$/m.exec(await (await fetch(`${relay.origin}/metrics`)).text())?.[1]);
    const before = await count();
    const signin = await new SigninClient(relay.origin).createSignin({ upn: 'metrics@example.test' });
    await device.waitForChallenge((c) => c.requestId === signin.requestId);
    await device.deny(signin.requestId);
    // At least the insert of the request and the decision's update.
    expect(await count()).toBeGreaterThanOrEqual(before + 2);
  });
});
