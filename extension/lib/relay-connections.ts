import type { RelayToDeviceMessage } from '../../protocol/index.ts';
import {
  RelayConnection,
  type ClosedSocket,
  type ConnectionAccount,
  type ConnectionState,
  type WebSocketLike,
} from '../../protocol/device/index.ts';
import { activeAccounts, isActiveAccount, type ActiveAccount, type Db } from './db.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * The extension's sockets: one device-core RelayConnection per relay that holds a usable
 * account, each authenticating every such account with its connect key (never the PIN). A
 * credential the relay refuses is marked on its account and no longer offered.
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

export class RelayConnections {
  private readonly connections = new Map<string, RelayConnection>();
  /** The deviceIds offered in the latest `auth` on each relay's socket: a 4401/4403 close concerns only them. */
  private readonly offered = new Map<string, Set<string>>();

  constructor(private readonly deps: RelayConnectionsDeps) {}

  /** One connection per relay that has usable accounts; none for the others. Idempotent. */
  async sync(): Promise<void> {
    const usable = (await activeAccounts(await this.deps.db())).filter((account) => !account.authError);
    const origins = new Set(usable.map((account) => account.relayOrigin));
    for (const [origin, connection] of this.connections) {
      if (!origins.has(origin)) {
        connection.stop();
        this.connections.delete(origin);
      }
    }
    for (const origin of origins) this.for(origin).ensure();
  }

  /**
   * After an account was added on `relayOrigin`: `auth` comes once per socket, so a relay that
   * was already connected learns of the new account on a new socket (reauthenticate).
   */
  async accountAdded(relayOrigin: string): Promise<void> {
    const existing = this.connections.get(relayOrigin);
    await this.sync();
    existing?.reauthenticate();
  }

  /**
   * After an account was removed here: a socket that still carries its credential would keep
   * receiving its requests, so the relay's remaining accounts authenticate on a new one.
   */
  async accountRemoved(relayOrigin: string): Promise<void> {
    await this.sync();
    this.connections.get(relayOrigin)?.reauthenticate();
  }

  state(relayOrigin: string): ConnectionState {
    return this.connections.get(relayOrigin)?.state ?? 'idle';
  }

  for(relayOrigin: string): RelayConnection {
    let connection = this.connections.get(relayOrigin);
    if (connection) return connection;
    const { deps } = this;
    connection = new RelayConnection(relayOrigin, {
      createSocket: (url) => deps.createSocket(url),
      accounts: () => this.accountsOn(relayOrigin),
      onReady: async (ready) => {
        if (ready.rejected.length === 0) return;
        deps.log(`${relayOrigin} refused ${ready.rejected.length} credential(s)`, ready.rejected);
        const codes = new Map(ready.rejected.map(({ deviceId, code }) => [deviceId, code]));
        await this.markRefused(relayOrigin, (account) => codes.get(account.deviceId));
      },
      onFrame: (frame) => deps.handleFrame(relayOrigin, frame).then(() => undefined),
      onRefused: (code) => this.refusedAll(relayOrigin, code),
      ...(deps.onClose ? { onClose: (closed: ClosedSocket) => deps.onClose?.(relayOrigin, closed) } : {}),
      onStateChange: (state) => {
        deps.log(`${relayOrigin} ${state}`);
        deps.changed();
      },
      random: () => deps.random(),
      now: () => deps.now(),
      log: (message, detail) => deps.log(`${relayOrigin}: ${message}`, detail),
    });
    this.connections.set(relayOrigin, connection);
    return connection;
  }

  /**
   * 4401/4403: every credential offered on that socket was refused or revoked. Only those accounts
   * are marked (a `revoked` frame may already have removed them); an account added since, that
   * was not on the socket, gets a socket of its own at once.
   */
  private async refusedAll(relayOrigin: string, code: number): Promise<void> {
    const offered = this.offered.get(relayOrigin) ?? new Set<string>();
    this.offered.delete(relayOrigin);
    await this.markRefused(relayOrigin, (account) => (offered.has(account.deviceId) ? (account.authError ?? `closed_${code}`) : undefined));
    const usable = (await activeAccounts(await this.deps.db(), relayOrigin)).filter((account) => !account.authError);
    const connection = this.connections.get(relayOrigin);
    if (usable.length > 0 && connection) connection.reauthenticate();
  }

  /** Each usable account on this relay, signing `connect` with its non-extractable connect key. */
  private async accountsOn(relayOrigin: string): Promise<ConnectionAccount[]> {
    const accounts = (await activeAccounts(await this.deps.db(), relayOrigin)).filter((account) => !account.authError);
    this.offered.set(relayOrigin, new Set(accounts.map((account) => account.deviceId)));
    return accounts.map((account) => ({
      deviceId: account.deviceId,
      connect: webCryptoDeviceCrypto.connectSigner(account.connectKey, account.connectPublicKey),
    }));
  }

  /** Marks the accounts on this relay that `codeFor` names a refusal for; they are no longer offered. */
  private async markRefused(relayOrigin: string, codeFor: (account: ActiveAccount) => string | undefined): Promise<void> {
    const db = await this.deps.db();
    // Read and written in one transaction: an account a `revoked` frame removes meanwhile stays removed.
    const tx = db.transaction('accounts', 'readwrite');
    for (const record of await tx.store.index('byRelay').getAll(relayOrigin)) {
      if (!isActiveAccount(record)) continue;
      const code = codeFor(record);
      if (code !== undefined) await tx.store.put({ ...record, authError: code });
    }
    await tx.done;
    this.deps.changed();
  }
}
