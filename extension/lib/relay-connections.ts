import type { RelayToDeviceMessage } from '../../protocol/index.ts';
import {
  RelayConnections as DeviceRelayConnections,
  type ClosedSocket,
  type RelayAccounts,
  type WebSocketLike,
} from '../../protocol/device/index.ts';
import { activeAccounts, isActiveAccount, type Db } from './db.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * The extension's sockets: the device core's RelayConnections (one socket per relay for all its
 * accounts) over the accounts in IndexedDB, signing `connect` with each non-extractable connect
 * key (never the PIN). A refused credential is marked on its account (`authError`), which the
 * popup shows, and no longer offered.
 */

export interface RelayConnectionsDeps {
  db(): Promise<Db>;
  createSocket(url: string): WebSocketLike;
  /** challenge, cancel, result, revoked, notice and error frames, in order, for the account logic. */
  handleFrame(relayOrigin: string, frame: RelayToDeviceMessage): Promise<unknown>;
  /** A connection's state changed, or an account was marked refused: what pages show changed. */
  changed(): void;
  onClose?(relayOrigin: string, closed: ClosedSocket): void;
  /** Uniform in [0, 1), from a CSPRNG. */
  random(): number;
  now(): number;
  log(message: string, detail?: unknown): void;
}

export class RelayConnections extends DeviceRelayConnections {
  constructor(deps: RelayConnectionsDeps) {
    super({
      accounts: indexedDbAccounts(deps.db),
      keepConnected: true,
      createSocket: (_origin, url) => deps.createSocket(url),
      onFrame: (origin, frame) => deps.handleFrame(origin, frame).then(() => undefined),
      ...(deps.onClose ? { onClose: deps.onClose } : {}),
      onStateChange: () => deps.changed(),
      onRefusalsMarked: () => deps.changed(),
      random: () => deps.random(),
      now: () => deps.now(),
      log: (message, detail) => deps.log(message, detail),
    });
  }
}

function indexedDbAccounts(db: () => Promise<Db>): RelayAccounts {
  const usable = async (relayOrigin?: string) => (await activeAccounts(await db(), relayOrigin)).filter((account) => !account.authError);
  return {
    async usable(relayOrigin) {
      return (await usable(relayOrigin)).map((account) => ({
        deviceId: account.deviceId,
        connect: webCryptoDeviceCrypto.connectSigner(account.connectKey, account.connectPublicKey),
      }));
    },
    async relayOrigins() {
      return [...new Set((await usable()).map((account) => account.relayOrigin))];
    },
    async markRefused(relayOrigin, codeFor) {
      const tx = (await db()).transaction('accounts', 'readwrite');
      // Read and written in one transaction: an account a `revoked` frame removes meanwhile stays removed.
      for (const record of await tx.store.index('byRelay').getAll(relayOrigin)) {
        if (!isActiveAccount(record)) continue;
        const code = codeFor(record.deviceId, record.authError);
        if (code !== undefined) await tx.store.put({ ...record, authError: code });
      }
      await tx.done;
    },
  };
}
