import type { ReadyMessage, RelayToDeviceMessage } from '../messages.ts';
import {
  RelayConnection,
  type ClosedSocket,
  type ConnectionAccount,
  type ConnectionState,
  type WebSocketLike,
} from './relay-connection.ts';

/**
 * The sockets of a device holding many accounts: one RelayConnection per relay, each
 * authenticating every usable account held there with its connect key (section 4). A credential
 * the relay refuses (`ready.rejected`, or every offered one at 4401/4403) is marked through
 * `RelayAccounts.markRefused` and no longer offered; only the person (pairing again, removing
 * the account) brings it back. `auth` comes once per socket, so a new account is authenticated
 * on a fresh socket that carries every usable account of its relay.
 *
 * @example
 * const connections = new RelayConnections({ accounts, createSocket: (_, url) => new WebSocket(url), ... });
 * await connections.sync(); // one socket per relay holding a usable account
 */

/** Where the accounts live (IndexedDB in the extension, the key file in the QA kit). */
export interface RelayAccounts {
  /** The accounts on this relay that are held here and not marked refused. */
  usable(relayOrigin: string): Promise<ConnectionAccount[]> | ConnectionAccount[];
  /** Every relay that holds a usable account. */
  relayOrigins(): Promise<string[]> | string[];
  /**
   * Marks the accounts on this relay that `codeFor` names a code for (`earlier`: the code the
   * account was marked with before, if any); they are no longer usable.
   */
  markRefused(relayOrigin: string, codeFor: (deviceId: string, earlier: string | undefined) => string | undefined): Promise<void> | void;
}

export interface RelayConnectionsDeps {
  accounts: RelayAccounts;
  /**
   * The extension keeps a socket open to every relay holding a usable account (`sync`); the QA
   * kit opens one only when asked. A new account on a relay re-authenticates its socket either way.
   */
  keepConnected: boolean;
  createSocket(relayOrigin: string, url: string): WebSocketLike;
  /** challenge, cancel, result, revoked, notice, unlocked, rekeyed and error frames, in order, for the account logic. */
  onFrame(relayOrigin: string, frame: RelayToDeviceMessage): Promise<void> | void;
  onReady?(relayOrigin: string, ready: ReadyMessage): Promise<void> | void;
  onClose?(relayOrigin: string, closed: ClosedSocket): void;
  onStateChange?(relayOrigin: string, state: ConnectionState): void;
  /** Accounts were marked refused: what pages show changed. */
  onRefusalsMarked?(relayOrigin: string): void;
  onRawFrame?(relayOrigin: string, json: unknown): void;
  onInvalidFrame?(relayOrigin: string, field: string, message: string): void;
  /** Uniform in [0, 1), from a CSPRNG. */
  random(): number;
  now(): number;
  /** Reconnect after a drop; default true. */
  autoReconnect?: boolean;
  log?(message: string, detail?: unknown): void;
}

export class RelayConnections {
  private readonly connections = new Map<string, RelayConnection>();
  /** The deviceIds offered in the latest `auth` on each relay's socket: a 4401/4403 close concerns only them. */
  private readonly offered = new Map<string, Set<string>>();

  constructor(private readonly deps: RelayConnectionsDeps) {}

  /** One connection per relay that has usable accounts; none for the others. Idempotent. */
  async sync(): Promise<void> {
    const origins = new Set(await this.deps.accounts.relayOrigins());
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
    if (this.deps.keepConnected) await this.sync();
    if (existing && (this.deps.keepConnected || existing.openSocket())) existing.reauthenticate();
  }

  /**
   * After an account was removed here: a socket that still carries its credential would keep
   * receiving its requests, so the relay's remaining accounts authenticate on a new one.
   */
  async accountRemoved(relayOrigin: string): Promise<void> {
    if (this.deps.keepConnected) await this.sync();
    const connection = this.connections.get(relayOrigin);
    if (connection && (this.deps.keepConnected || connection.openSocket())) connection.reauthenticate();
  }

  state(relayOrigin: string): ConnectionState {
    return this.connections.get(relayOrigin)?.state ?? 'idle';
  }

  /** The connection of this relay, made (not opened) when there was none. */
  for(relayOrigin: string): RelayConnection {
    let connection = this.connections.get(relayOrigin);
    if (connection) return connection;
    const { deps } = this;
    connection = new RelayConnection(relayOrigin, {
      createSocket: (url) => deps.createSocket(relayOrigin, url),
      accounts: () => this.accountsOn(relayOrigin),
      onReady: async (ready) => {
        if (ready.rejected.length > 0) {
          deps.log?.(`${relayOrigin} refused ${ready.rejected.length} credential(s)`, ready.rejected);
          const codes = new Map(ready.rejected.map(({ deviceId, code }) => [deviceId, code]));
          await this.markRefused(relayOrigin, (deviceId) => codes.get(deviceId));
        }
        await deps.onReady?.(relayOrigin, ready);
      },
      onFrame: (frame) => deps.onFrame(relayOrigin, frame),
      onRefused: (code) => this.refusedAll(relayOrigin, code),
      ...(deps.onClose ? { onClose: (closed: ClosedSocket) => deps.onClose?.(relayOrigin, closed) } : {}),
      onStateChange: (state) => {
        deps.log?.(`${relayOrigin} ${state}`);
        deps.onStateChange?.(relayOrigin, state);
      },
      ...(deps.onRawFrame ? { onRawFrame: (json: unknown) => deps.onRawFrame?.(relayOrigin, json) } : {}),
      ...(deps.onInvalidFrame
        ? { onInvalidFrame: (field: string, message: string) => deps.onInvalidFrame?.(relayOrigin, field, message) }
        : {}),
      random: () => deps.random(),
      now: () => deps.now(),
      ...(deps.autoReconnect !== undefined ? { autoReconnect: deps.autoReconnect } : {}),
      log: (message, detail) => deps.log?.(`${relayOrigin}: ${message}`, detail),
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
    await this.markRefused(relayOrigin, (deviceId, earlier) => (offered.has(deviceId) ? (earlier ?? `closed_${code}`) : undefined));
    const usable = await this.deps.accounts.usable(relayOrigin);
    const connection = this.connections.get(relayOrigin);
    if (usable.length > 0 && connection) connection.reauthenticate();
  }

  /** Each usable account on this relay, remembered as offered on the socket about to authenticate. */
  private async accountsOn(relayOrigin: string): Promise<ConnectionAccount[]> {
    const accounts = await this.deps.accounts.usable(relayOrigin);
    this.offered.set(relayOrigin, new Set(accounts.map((account) => account.deviceId)));
    return accounts;
  }

  private async markRefused(
    relayOrigin: string,
    codeFor: (deviceId: string, earlier: string | undefined) => string | undefined,
  ): Promise<void> {
    await this.deps.accounts.markRefused(relayOrigin, codeFor);
    this.deps.onRefusalsMarked?.(relayOrigin);
  }
}
