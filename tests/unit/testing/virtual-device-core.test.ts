import { onTestFinished } from 'vitest';
import { buildPairingLink, randomId } from '../../../protocol/index.ts';
import { RelayHttpError } from '../../../testing/admin-client.ts';
import { VirtualDevice, VirtualDeviceError } from '../../../testing/virtual-device.ts';
import { SUITE_WAIT_MS, WaitQueue, deviceCoreSuite, redeemed, type DeviceHarness } from '../protocol/device-core-suite.ts';
import { FakeRelay, fakeRedeem } from './fake-relay.ts';

/**
 * The shared device suite run against the virtual device: its pairing through a fake redeem
 * endpoint, its socket through a raw `ws` server on port 0, driven only by its public API. The
 * suite checks the redeem and the socket apart, so pairing here stops after the redeem
 * (`confirm: false`); the confirmation on the socket is tested in virtual-device.test.ts.
 */

async function openDevice(fetch: typeof globalThis.fetch): Promise<VirtualDevice> {
  const device = await VirtualDevice.open({ fetch, autoReconnect: true, random: () => 0, timeoutMs: SUITE_WAIT_MS });
  onTestFinished(() => device.close());
  return device;
}

deviceCoreSuite({
  name: 'virtual device',

  async pair(link, redeem) {
    // The device's fetch is the suite's endpoint.
    const fetch: typeof globalThis.fetch = async (url, init) => {
      const answer = redeem(String(url), JSON.parse(String(init?.body)) as Record<string, unknown>);
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    };
    const device = await openDevice(fetch);
    try {
      const account = await device.pair(link, { confirm: false });
      return { ok: true, account };
    } catch (error) {
      if (error instanceof VirtualDeviceError || error instanceof RelayHttpError) return { ok: false, code: error.code };
      throw error;
    }
  },

  async device({ accounts }) {
    const relay = await FakeRelay.start();
    const device = await openDevice(fakeRedeem((body) => redeemed(body)).fetch);
    const held = [];
    for (let i = 0; i < accounts; i++) {
      const link = buildPairingLink({ relayOrigin: relay.origin, token: randomId(), upn: `user${i}@demo.test` });
      held.push(await device.pair(link, { confirm: false }));
    }
    const delivered = new WaitQueue<{ type: string; [field: string]: unknown }>('frame for the account logic');
    const closes = new WaitQueue<{ code: number; willReconnect: boolean }>('close');
    const strip = <T extends { relayOrigin: string }>({ relayOrigin: _origin, ...frame }: T) => frame;
    device.on('challenge', (challenge) => delivered.push(strip(challenge)));
    device.on('cancel', (cancel) => delivered.push(strip(cancel)));
    device.on('result', (result) => delivered.push(strip(result)));
    device.on('revoked', ({ account: _account, ...revoked }) => delivered.push(strip(revoked)));
    device.on('notice', (notice) => delivered.push(strip(notice)));
    device.on('relayError', (error) => delivered.push(strip(error)));
    device.on('close', (closed) => closes.push(closed));
    const origin = relay.origin;
    const harness: DeviceHarness = {
      relayOrigin: origin,
      accounts: held,
      // connect() resolves on ready; the suite sends hello and ready itself.
      connect: () => void device.connect(origin).catch(() => undefined),
      connected: async () => void (await device.connected(origin)),
      nextSocket: () => relay.nextConnection(),
      socketsOpened: () => relay.opened,
      nextDelivered: () => delivered.next(),
      nextClose: () => closes.next(),
      state: () => device.connectionState(origin),
      approve: (requestId, number, unlock, pin) => device.approve(requestId, number, { unlock, ...(pin !== undefined ? { pin } : {}) }),
      refuse: (requestId, decision) => device[decision](requestId),
      reauthenticate: () => void device.reconnect(origin).catch(() => undefined),
    };
    return harness;
  },
});
