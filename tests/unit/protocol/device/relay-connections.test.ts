import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import { LIMITS, fromBase64Url, type ReadyMessage } from '../../../../protocol/index.ts';
import {
  RelayConnections,
  secretKeySigner,
  type ClosedSocket,
  type ConnectionAccount,
  type RelayAccounts,
} from '../../../../protocol/device/index.ts';
import { DeviceStore } from '../../../../testing/device-store.ts';
import { VirtualDevice } from '../../../../testing/virtual-device.ts';
import { socketLike } from '../../../../testing/ws-socket-like.ts';
import { startTestRelay, WAIT_MS, type TestRelay } from '../../../integration/helpers/test-relay.ts';

/**
 * The device core's multi-account connection manager against a real relay (port 0): one socket
 * per relay for all its accounts, a new account authenticated on a fresh socket at once,
 * refused credentials left out of every later `auth`, and a reconnect after a drop.
 */

/** A relay with one user and `count` accounts paired to it, ready to hand to the manager. */
async function relayWithAccounts(count: number): Promise<{ relay: TestRelay; accounts: ConnectionAccount[] }> {
  const relay = await startTestRelay();
  const user = await relay.createUser();
  const store = await DeviceStore.open();
  const pairing = await VirtualDevice.open({ store, now: () => relay.clock.now(), timeoutMs: WAIT_MS });
  for (let i = 0; i < count; i++) await pairing.pair((await relay.admin.createPairing(user.upn)).link);
  await pairing.close();
  const accounts = store.list().map((account) => ({
    deviceId: account.deviceId,
    connect: secretKeySigner(fromBase64Url(account.connectKey), account.connectPublicKey),
  }));
  return { relay, accounts };
}

/** Accounts in memory, as a device's storage would keep them: held ones, and the codes of refused ones. */
class MemoryAccounts implements RelayAccounts {
  readonly refused = new Map<string, string>();
  constructor(
    private readonly origin: string,
    readonly held: ConnectionAccount[],
  ) {}
  usable(relayOrigin: string): ConnectionAccount[] {
    return relayOrigin === this.origin ? this.held.filter((account) => !this.refused.has(account.deviceId)) : [];
  }
  relayOrigins(): string[] {
    return this.usable(this.origin).length > 0 ? [this.origin] : [];
  }
  markRefused(relayOrigin: string, codeFor: (deviceId: string, earlier: string | undefined) => string | undefined): void {
    if (relayOrigin !== this.origin) return;
    for (const { deviceId } of this.held) {
      const code = codeFor(deviceId, this.refused.get(deviceId));
      if (code !== undefined) this.refused.set(deviceId, code);
    }
  }
}

/** The manager over `ws` sockets, recording each `auth` it sends, each `ready` and each close. */
function manager(relay: TestRelay, accounts: MemoryAccounts) {
  const auths: string[][] = [];
  const readies: ReadyMessage[] = [];
  const closes: ClosedSocket[] = [];
  let socketsOpened = 0;
  const connections = new RelayConnections({
    accounts,
    keepConnected: true,
    createSocket: (_origin, url) => {
      socketsOpened++;
      const socket = socketLike(new WebSocket(url), () => undefined);
      const send = socket.send;
      socket.send = (data) => {
        const frame = (data.startsWith('{') ? JSON.parse(data) : {}) as { type?: string; credentials?: { deviceId: string }[] };
        if (frame.type === 'auth') auths.push(frame.credentials!.map((credential) => credential.deviceId));
        send(data);
      };
      return socket;
    },
    onFrame: () => undefined,
    onReady: (_origin, ready) => {
      readies.push(ready);
    },
    onClose: (_origin, closed) => closes.push(closed),
    // Jitter 0: the shortest backoff, so a reconnect comes within a second.
    random: () => 0,
    now: Date.now,
  });
  onTestFinished(() => connections.for(relay.origin).stop());
  return { connections, auths, readies, closes, socketsOpened: () => socketsOpened };
}

/** A well-formed deviceId the relay does not know: it refuses it with `unknown_device`. */
const UNKNOWN_DEVICE: ConnectionAccount = {
  deviceId: 'AAAAAAAAAAAAAAAAAAAAAA',
  connect: { publicKey: 'unused', sign: async () => 'A'.repeat(86) },
};

const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: WAIT_MS, interval: 20 });

describe('RelayConnections', () => {
  it('authenticates a new account at once on one fresh socket that carries every account of the relay', async () => {
    const { relay, accounts } = await relayWithAccounts(2);
    const [first, second] = accounts as [ConnectionAccount, ConnectionAccount];
    const held = new MemoryAccounts(relay.origin, [first]);
    const device = manager(relay, held);

    await device.connections.sync();
    await waitFor(() => expect(device.readies.at(-1)?.accepted).toEqual([first.deviceId]));
    expect(relay.running.relay.hub.openSockets).toBe(1);

    held.held.push(second);
    await device.connections.accountAdded(relay.origin);

    await waitFor(() => expect(device.readies.at(-1)?.accepted).toEqual([first.deviceId, second.deviceId]));
    expect(device.auths).toEqual([[first.deviceId], [first.deviceId, second.deviceId]]);
    // The old socket was replaced, not kept beside the new one, and nothing waited for a backoff.
    expect(device.socketsOpened()).toBe(2);
    expect(device.closes).toEqual([]);
    await waitFor(() => expect(relay.running.relay.hub.openSockets).toBe(1));
    expect(device.connections.state(relay.origin)).toBe('connected');
  });

  it('marks a credential the relay refused and offers it on no later socket', async () => {
    const { relay, accounts } = await relayWithAccounts(1);
    const [known] = accounts as [ConnectionAccount];
    const held = new MemoryAccounts(relay.origin, [known, UNKNOWN_DEVICE]);
    const device = manager(relay, held);

    await device.connections.sync();
    await waitFor(() => expect(device.readies).toHaveLength(1));
    expect(device.readies[0]).toMatchObject({
      accepted: [known.deviceId],
      rejected: [{ deviceId: UNKNOWN_DEVICE.deviceId, code: 'unknown_device' }],
    });
    await waitFor(() => expect(held.refused.get(UNKNOWN_DEVICE.deviceId)).toBe('unknown_device'));

    await device.connections.accountAdded(relay.origin);
    await waitFor(() => expect(device.readies).toHaveLength(2));
    expect(device.readies[1]).toMatchObject({ accepted: [known.deviceId], rejected: [] });
    expect(device.auths).toEqual([[known.deviceId, UNKNOWN_DEVICE.deviceId], [known.deviceId]]);
  });

  it('stays down when the relay refuses every credential (4401), and a new account brings it back without the refused one', async () => {
    const { relay, accounts } = await relayWithAccounts(1);
    const [known] = accounts as [ConnectionAccount];
    const held = new MemoryAccounts(relay.origin, [UNKNOWN_DEVICE]);
    const device = manager(relay, held);

    await device.connections.sync();
    await waitFor(() => expect(device.closes).toMatchObject([{ code: 4401, meaning: 'not_authenticated', willReconnect: false }]));
    await waitFor(() => expect(device.connections.state(relay.origin)).toBe('error'));
    expect(held.refused.get(UNKNOWN_DEVICE.deviceId)).toBe('unknown_device');
    // Nothing usable is left on the relay: syncing again opens nothing.
    await device.connections.sync();
    expect(device.socketsOpened()).toBe(1);

    held.held.push(known);
    await device.connections.accountAdded(relay.origin);
    await waitFor(() => expect(device.readies.at(-1)).toMatchObject({ accepted: [known.deviceId], rejected: [] }));
    expect(device.auths).toEqual([[UNKNOWN_DEVICE.deviceId], [known.deviceId]]);
  });

  it('reconnects after the relay drops the socket, and authenticates again', async () => {
    const { relay, accounts } = await relayWithAccounts(1);
    const [known] = accounts as [ConnectionAccount];
    const device = manager(relay, new MemoryAccounts(relay.origin, [known]));

    await device.connections.sync();
    await waitFor(() => expect(device.connections.state(relay.origin)).toBe('connected'));
    // Text that is not JSON, enough times that the relay closes with 4400, which a device answers with a backoff.
    const socket = device.connections.for(relay.origin).openSocket()!;
    for (let i = 0; i < LIMITS.malformedFramesBeforeClose; i++) socket.send('not json');

    await waitFor(() => expect(device.closes).toMatchObject([{ code: 4400, meaning: 'dropped', willReconnect: true }]));
    await waitFor(() => expect(device.readies).toHaveLength(2));
    expect(device.readies[1]!.accepted).toEqual([known.deviceId]);
    expect(device.socketsOpened()).toBe(2);
    expect(device.connections.state(relay.origin)).toBe('connected');
  });
});
