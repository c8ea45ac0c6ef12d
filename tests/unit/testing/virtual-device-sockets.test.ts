import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { DeviceStore } from '../../../testing/device-store.ts';
import { VirtualDevice } from '../../../testing/virtual-device.ts';
import { startTestRelay, WAIT_MS, type TestRelay } from '../../integration/helpers/test-relay.ts';

/**
 * The virtual device keeps its sockets as the extension does (the device core's
 * RelayConnections), seen from a real relay: one socket per relay for all its accounts, a new
 * account authenticated on a fresh socket at once, a refused credential not offered again.
 */

async function openDevice(relay: TestRelay, store?: DeviceStore): Promise<VirtualDevice> {
  const device = await VirtualDevice.open({ now: () => relay.clock.now(), timeoutMs: WAIT_MS, ...(store ? { store } : {}) });
  onTestFinished(() => device.close());
  return device;
}

async function pairTo(relay: TestRelay, device: VirtualDevice, upn: string): Promise<string> {
  return (await device.pair((await relay.admin.createPairing(upn)).link)).deviceId;
}

const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: WAIT_MS, interval: 20 });

describe('VirtualDevice sockets', () => {
  it('authenticates a new account on one fresh socket carrying every account of the relay, as the extension does', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const device = await openDevice(relay);
    const first = await pairTo(relay, device, user.upn);
    await device.connect(relay.origin);
    expect(relay.running.relay.hub.openSockets).toBe(1);

    const second = await pairTo(relay, device, user.upn);

    expect((await device.connected(relay.origin)).accepted).toEqual([first, second]);
    await waitFor(() => expect(relay.running.relay.hub.openSockets).toBe(1));
    expect(device.connectionState(relay.origin)).toBe('connected');
  });

  it('leaves a credential the relay refused out of later sockets, until connect() or reconnect() asks again', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const store = await DeviceStore.open();
    const device = await openDevice(relay, store);
    const busy = await pairTo(relay, device, user.upn);
    const free = await pairTo(relay, device, user.upn);

    // Four other sockets authenticate `busy`: the relay refuses it a fifth (section 4).
    const busyOnly = await DeviceStore.open();
    await busyOnly.add(store.find(busy)!);
    const holders = await Promise.all([1, 2, 3, 4].map(() => openDevice(relay, busyOnly)));
    await Promise.all(holders.map((holder) => holder.connect(relay.origin)));
    const [ready] = await device.connect(relay.origin);
    expect(ready).toMatchObject({ accepted: [free], rejected: [{ deviceId: busy, code: 'rate_limited' }] });
    await Promise.all(holders.map((holder) => holder.close()));

    // A new account's fresh socket offers the usable ones only, though `busy` has places again.
    const added = await pairTo(relay, device, user.upn);
    expect(await device.connected(relay.origin)).toMatchObject({ accepted: [free, added], rejected: [] });

    // Asked explicitly, the device offers it again.
    expect((await device.reconnect(relay.origin)).accepted).toEqual([busy, free, added]);
  });
});
