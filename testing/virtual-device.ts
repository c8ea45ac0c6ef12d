import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import {
  ProtocolError,
  fromBase64Url,
  normalizeOrigin,
  toBase64Url,
  type CancelMessage,
  type ChallengeMessage,
  type Decision,
  type DecisionMessage,
  type ErrorMessage,
  type NoticeMessage,
  type ReadyMessage,
  type RelayToDeviceMessage,
  type ResultMessage,
  type RevokedMessage,
  type Unlock,
} from '../protocol/index.ts';
import {
  EvaluationWaiters,
  isRelayUnavailable,
  RelayConnections,
  RemovalWaiters,
  buildDecision,
  removeFrame,
  sendRemoval,
  preparePairing,
  rawKeyCrypto,
  readPairingLink,
  readRedeemAnswer,
  secretKeySigner,
  type CloseMeaning,
  type ClosedSocket,
  type ConnectionState,
  type RelayAccounts,
  type RelayConnection,
  type StatementSigner,
  type WebSocketLike,
} from '../protocol/device/index.ts';
import { socketLike } from './ws-socket-like.ts';
import {
  confirmNewWrap,
  rekeyAccount,
  unlockWithPin,
  wrapAndConfirm,
  wrapUnderEvaluation,
  type PinChannel,
} from '../protocol/device/pin-unlock.ts';
import type { DeviceToRelayMessage } from '../protocol/messages.ts';
import { blindPin } from '../protocol/pin-oprf.ts';
import { PIN_RULE_TEXT, isValidPin } from '../protocol/pin-rule.ts';
import { RelayHttpError } from './admin-client.ts';
import { DeviceStore, accountInfo, type AccountInfo, type DeviceAccount } from './device-store.ts';
import { VirtualAuthenticator } from './virtual-authenticator.ts';

/**
 * A headless device that speaks docs/protocol.md through the same device core as the extension
 * (protocol/device): pairs from a link, keeps one socket per relay for all its accounts there
 * (the core's RelayConnections, as the extension does), answers challenges with signed
 * decisions. QA and the integration tests drive it; its low-level calls (`sendDecision`
 * overrides, `sendRaw`) let them play a misbehaving device too.
 *
 * The PIN (section 4a): the device has one (`pin` option, default VIRTUAL_DEVICE_PIN), which a
 * pairing or a PIN change may set per account, in memory only; the key file holds the approval
 * key wrapped under the relay's OPRF evaluation of it and nothing that tests a PIN. Every
 * approval signed with the approval key runs the unlock round trip (unlock → unlocked → finish →
 * unwrap → unlock_proof → sign → wipe); `approve(id, number, {pin: '000000'})` plays a wrong PIN.
 */

/** The PIN of a virtual device unless its options, a pairing or a PIN change say otherwise. */
export const VIRTUAL_DEVICE_PIN = '123456';

export { DEVICE_CONNECT_PATH, REDEEM_PAIRING_PATH } from '../protocol/paths.ts';
import { REDEEM_PAIRING_PATH } from '../protocol/paths.ts';
export type { ConnectionState } from '../protocol/device/index.ts';

/** Every message from a relay comes tagged with the relay it came from. */
export type FromRelay<T> = T & { relayOrigin: string };
export type ReceivedChallenge = FromRelay<ChallengeMessage>;
export type ReceivedNotice = FromRelay<NoticeMessage>;

export interface CloseInfo {
  relayOrigin: string;
  code: number;
  reason: string;
  /** What the device core makes of the code: refused (4401), revoked (4403), restarting (1012), dropped. */
  meaning: CloseMeaning;
  /** The socket error that preceded the close, such as a refused connection. */
  error?: string;
  willReconnect: boolean;
}

export interface InvalidFrame {
  relayOrigin: string;
  field: string;
  message: string;
}

/** Each event has one argument, so `once(device, 'challenge')` and the waiters stay simple. */
export interface VirtualDeviceEvents {
  /** Any text frame that parsed as JSON, before it is validated or handled. */
  frame: [FromRelay<{ data: unknown }>];
  /** A `ready` that accepted at least one account (the socket is authenticated). */
  ready: [FromRelay<ReadyMessage>];
  challenge: [ReceivedChallenge];
  cancel: [FromRelay<CancelMessage>];
  result: [FromRelay<ResultMessage>];
  /** `account` is what the device forgot, or undefined when it held no such device. */
  revoked: [FromRelay<RevokedMessage> & { account: AccountInfo | undefined }];
  /** An authenticator was added to or removed from one of the device's accounts. */
  notice: [ReceivedNotice];
  /** A `notice` of kind `pin_failure`: an unproven PIN attempt on one of the user's devices became a failure. */
  pinFailure: [ReceivedNotice];
  /** A `notice` of kind `pin_locked`: the relay evaluates nothing more for that device. */
  pinLocked: [ReceivedNotice];
  /** Every PIN unlock this device ran: unlocked, or why not (`wrong_pin`, `pin_locked`, …). */
  unlock: [PinUnlockEvent];
  /** An `error` frame from the relay (not named `error`: EventEmitter throws unheard errors). */
  relayError: [FromRelay<ErrorMessage>];
  invalidFrame: [InvalidFrame];
  close: [CloseInfo];
  /** Writing the key file failed after a revocation. */
  storeError: [Error];
}
type EventName = keyof VirtualDeviceEvents;

export interface PinUnlockEvent {
  relayOrigin: string;
  deviceId: string;
  /** `unlocked`, or the failure's code (`wrong_pin`, `pin_locked`, `pin_attempts`, `offline`, …). */
  outcome: string;
  /** The relay's count after this attempt, when it answered with one. */
  attemptsLeft: number | null;
}

/** What `changePin()` did, account by account. */
export interface PinChange {
  changed: AccountInfo[];
  failed: Array<{ account: AccountInfo; code: string; message: string; attemptsLeft?: number | null }>;
}
type EventPayload<K extends EventName> = VirtualDeviceEvents[K][0];

/** How an approval says the approval key was released: the PIN round trip, or the virtual authenticator's copy. */
export type ApprovalUnlock = Exclude<Unlock, 'none'>;

export interface VirtualDeviceOptions {
  /** Key file to load and keep up to date; omitted, the device lives in memory. */
  keysPath?: string;
  /** An already opened store (wins over `keysPath`). */
  store?: DeviceStore;
  /** Sent when pairing; default "Virtual device". */
  deviceName?: string;
  /** The device clock for `signedAt`; tests pass a skewed one. */
  now?: () => number;
  /** `unlock` of approvals unless a call says otherwise; default 'pin'. */
  unlock?: ApprovalUnlock;
  /** The PIN for pairings and approvals unless a call says otherwise; default VIRTUAL_DEVICE_PIN. Never stored. */
  pin?: string;
  /**
   * Where the virtual authenticator (the WebAuthn stand-in) keeps its secret; omitted, it lives
   * in memory and `unlock: 'webauthn'` works only for accounts paired by this device object.
   */
  authenticatorPath?: string;
  /** Reconnect with jittered backoff after a drop (never after 4401 or 4403). Default false. */
  autoReconnect?: boolean;
  /** Uniform in [0, 1) for the reconnect jitter; default the CSPRNG. Tests pass `() => 0` for short delays. */
  random?: () => number;
  /** Default limit for every wait and for a decision's result. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface ApproveOptions extends WaitOptions {
  /** Default: the device's `unlock` option ('pin'). */
  unlock?: ApprovalUnlock;
  /** The PIN typed for this approval (a wrong one plays a wrong guess); default the account's. */
  pin?: string;
}

/** A decision with every field open to override, for tests of a misbehaving device. */
export interface DecisionInput extends WaitOptions {
  requestId: string;
  decision: Decision;
  /** Empty for deny and report. */
  number?: string;
  /** Defaults to the relay the challenge came from, or the only connected relay. */
  relayOrigin?: string;
  /** Put in the frame and the statement; signed with this device's key when it holds it. */
  deviceId?: string;
  /** Defaults to `now()`. */
  signedAt?: number;
  /**
   * Defaults to the device's `unlock` ('pin') for an approve, or for anything signed with the
   * approval key; else 'none'. An approve with 'none' can only be sent with `signature` set.
   */
  unlock?: Unlock;
  /**
   * The key that signs. Default: the connect key when `unlock` is 'none', else the approval
   * key. `{decision: 'approve', signWith: 'connect'}` plays an attacker holding only the
   * connect key (the relay must answer `rejected`).
   */
  signWith?: 'approval' | 'connect';
  /** Sent as it is instead of a real signature. */
  signature?: string;
  /** The PIN for the unlock when the approval key signs with unlock 'pin'; default the account's. */
  pin?: string;
}

export interface PairOptions extends WaitOptions {
  deviceName?: string;
  /** The PIN this account is wrapped under; default the device's. */
  pin?: string;
  /**
   * Confirm the new wrap on the relay's socket before pairing counts as done (section 4a);
   * default true. `false` stops after the redeem, as a device that crashed there: the account's
   * first approval then proves its wrap.
   */
  confirm?: boolean;
}

/**
 * A failure of the device itself; `code` is stable (`timeout`, `closed`, `not_connected`,
 * `invalid_link`, `insecure_relay`, `invalid_decision`, `invalid_pin`, `pairing_unconfirmed`,
 * `relays_unreachable`, `no_webauthn`), or the PIN unlock's (`wrong_pin` with `attemptsLeft`,
 * `pin_locked`, `pin_attempts`, `proof_not_sent`, `bad_evaluation`, `timeout`).
 */
export class VirtualDeviceError extends Error {
  /** After `wrong_pin`: the relay's count of attempts left (null when it sent none). */
  readonly attemptsLeft?: number | null;
  /** After `relays_unreachable`: the relays that could not be reached. */
  readonly relays?: string[];
  /** After `pairing_unconfirmed`: the code of what failed. */
  readonly reason?: string;

  constructor(
    readonly code: string,
    message: string,
    details: { attemptsLeft?: number | null; relays?: string[]; reason?: string } = {},
  ) {
    super(message);
    this.name = 'VirtualDeviceError';
    if (details.attemptsLeft !== undefined) this.attemptsLeft = details.attemptsLeft;
    if (details.relays !== undefined) this.relays = details.relays;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** One relay: the core's connection to it, and the `ws` socket that connection holds now. */
interface RelayLink {
  readonly origin: string;
  readonly connection: RelayConnection;
  ws: WebSocket | null;
  /** The error `ws` reported on the current socket, kept for the close that follows. */
  socketError: string | undefined;
  /** Whether the current socket's close was told already (the core drops sockets silently when it replaces them). */
  closeReported: boolean;
  ready: FromRelay<ReadyMessage> | null;
  lastClose: CloseInfo | null;
  /** `unlock` and `rekey` waiting for the relay's evaluation on the current socket. */
  readonly waiters: EvaluationWaiters;
  /** `remove` waiting for the relay's `revoked` (or `error`) on the current socket. */
  readonly removals: RemovalWaiters;
}

const MAX_REMEMBERED_EVENTS = 1000;

export class VirtualDevice extends EventEmitter<VirtualDeviceEvents> {
  private readonly links = new Map<string, RelayLink>();
  private readonly connections: RelayConnections;
  /**
   * Credentials a relay refused, with its code: no longer offered, as the extension marks them,
   * until `connect()` or `reconnect()` asks for them again. Memory only.
   */
  private readonly refused = new Map<string, string>();
  private readonly pending = new Map<string, ReceivedChallenge>();
  /** Remembered so `waitForCancel` works when the cancel came before the wait. */
  private readonly cancels = new Map<string, FromRelay<CancelMessage>>();
  /** Likewise for `waitForRevoked`: the relay revokes before the admin call returns. */
  private readonly revocations = new Map<string, EventPayload<'revoked'>>();
  /** Notices have no id: the latest ones, oldest first. */
  private readonly noticeLog: ReceivedNotice[] = [];
  private readonly storeWrites = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly deviceName: string;
  private readonly unlock: ApprovalUnlock;
  private readonly pin: string;
  /** PINs set by a pairing or a PIN change, per deviceId; memory only, never in the key file. */
  private readonly pins = new Map<string, string>();
  private readonly autoReconnect: boolean;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  private constructor(
    private readonly store: DeviceStore,
    private readonly authenticator: VirtualAuthenticator,
    options: VirtualDeviceOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.deviceName = options.deviceName ?? 'Virtual device';
    this.unlock = options.unlock ?? 'pin';
    this.pin = checkedPin(options.pin ?? VIRTUAL_DEVICE_PIN);
    this.autoReconnect = options.autoReconnect ?? false;
    this.random = options.random ?? cryptoRandom;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.connections = new RelayConnections({
      accounts: this.relayAccounts(),
      // Sockets open when a test asks (`connect()`), not whenever an account exists.
      keepConnected: false,
      createSocket: (origin, url) => this.createSocket(this.linkFor(origin), url),
      // The core counts the socket connected before it calls onReady, so a decision sent from
      // a `ready` listener goes out.
      onReady: (origin, ready) => {
        if (ready.accepted.length === 0) return;
        const link = this.linkFor(origin);
        link.ready = { ...ready, relayOrigin: origin };
        this.emit('ready', link.ready);
      },
      onFrame: (origin, frame) => this.receive(this.linkFor(origin), frame),
      onClose: (origin, closed) => this.socketClosed(this.linkFor(origin), closed),
      onRawFrame: (origin, data) => this.emit('frame', { relayOrigin: origin, data }),
      onInvalidFrame: (origin, field, message) => this.emit('invalidFrame', { relayOrigin: origin, field, message }),
      random: this.random,
      // The real clock: the connection uses it to spot a silent socket, which a test's skewed
      // device clock must not fake.
      now: Date.now,
      autoReconnect: this.autoReconnect,
    });
  }

  /** @example const device = await VirtualDevice.open({ keysPath: 'data/virtual-device.json' }) */
  static async open(options: VirtualDeviceOptions = {}): Promise<VirtualDevice> {
    const store = options.store ?? (await DeviceStore.open(options.keysPath));
    return new VirtualDevice(store, await VirtualAuthenticator.open(options.authenticatorPath), options);
  }

  // ---- Accounts ----

  accounts(relayOrigin?: string): AccountInfo[] {
    return this.store
      .list()
      .filter((account) => relayOrigin === undefined || account.relayOrigin === relayOrigin)
      .map(accountInfo);
  }

  relayOrigins(): string[] {
    return [...new Set(this.store.list().map((account) => account.relayOrigin))];
  }

  /** Whether an account still waits for its revision 3 upgrade (a revision 2 key file kept its approval key raw). */
  awaitsUpgrade(deviceId: string): boolean {
    return this.store.find(deviceId)?.legacyApprovalKey !== undefined;
  }

  /**
   * Redeems a pairing link with two fresh key pairs (approval and connect) and the PIN blinded,
   * wraps the approval key under the relay's evaluation, and confirms the new wrap on the relay's
   * socket (unlock, unwrap, unlock_proof) before it resolves (section 4a). The socket is left as
   * it was: opened for the confirmation and closed again, or re-authenticated when it was open.
   *
   * Throws `VirtualDeviceError` `invalid_link`, or `insecure_relay` for an `http` relay off
   * loopback, and `RelayHttpError` with the relay's code (`pairing_used`, …) when the relay
   * refuses. `pairing_unconfirmed` (with `reason`) when the confirmation failed: the account is
   * forgotten when its copy proved useless (`wrong_pin`, `bad_wrap`, `bad_evaluation`), else kept,
   * to be proven by its first approval.
   */
  async pair(link: string, options: PairOptions = {}): Promise<AccountInfo> {
    const checked = readPairingLink(link);
    if (!checked.ok) {
      throw checked.code === 'insecure_relay'
        ? new VirtualDeviceError(
            'insecure_relay',
            'a device pairs only with https relays, or http on a loopback host (127.0.0.1, [::1], localhost)',
          )
        : new VirtualDeviceError('invalid_link', 'not a Countersign pairing link');
    }
    const { offer } = checked;
    const deviceName = options.deviceName ?? this.deviceName;
    const pin = checkedPin(options.pin ?? this.pin);
    const pending = blindPin(pin);
    const prepared = await preparePairing({ offer, deviceName, crypto: rawKeyCrypto, pinBlinded: pending.blinded });
    let account: DeviceAccount;
    try {
      const response = await this.fetch(`${offer.relayOrigin}${REDEEM_PAIRING_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(prepared.body),
      });
      const answer = readRedeemAnswer(response.status, await response.json().catch(() => null));
      if (!answer.ok) {
        const code = answer.code === 'bad_response' ? 'invalid_response' : answer.code;
        const detail = answer.message ? `: ${answer.message}` : '';
        throw new RelayHttpError(code, response.status, `pairing failed with ${response.status} ${code}${detail}`);
      }
      const { deviceId } = answer.value;
      let wrapped;
      try {
        ({ wrapped } = await wrapUnderEvaluation({
          pin,
          pending,
          evaluated: answer.value.pinEvaluated,
          deviceId,
          relayOrigin: offer.relayOrigin,
          secretKey: prepared.approvalKey.secretKey,
        }));
      } catch {
        throw new VirtualDeviceError('pairing_unconfirmed', 'the relay answered the redeem with an invalid pinEvaluated', {
          reason: 'bad_evaluation',
        });
      }
      account = {
        relayOrigin: offer.relayOrigin,
        upn: answer.value.account.upn,
        displayName: answer.value.account.displayName,
        deviceId,
        publicKey: prepared.approvalKey.publicKey,
        connectPublicKey: prepared.connectKey.publicKey,
        connectKey: toBase64Url(prepared.connectKey.key),
        pinWrapped: wrapped,
        webauthnWrapped: await this.authenticator.wrap(prepared.approvalKey.secretKey, deviceId),
      };
      await this.store.add(account);
      this.pins.set(deviceId, pin);
      if (options.confirm !== false) await this.confirmPairing(account, pin, prepared.approvalKey.secretKey, options);
      else {
        const wasOpen = this.links.get(offer.relayOrigin)?.connection.openSocket();
        await this.connections.accountAdded(offer.relayOrigin);
        if (wasOpen) await this.connected(offer.relayOrigin, options);
      }
    } finally {
      pending.blind.fill(0);
      prepared.approvalKey.secretKey.fill(0);
      prepared.connectKey.key.fill(0);
    }
    return accountInfo(account);
  }

  /**
   * Changes the PIN of every account on every relay (section 4a): unlock with `oldPin`, `rekey`
   * with `newPin` blinded, store the new copy at once (the relay forgot the old key), confirm it
   * (one more rekey if that fails). A PIN change needs every relay: when one cannot be reached it
   * throws `relays_unreachable` naming them (`relays`) and changes nothing. Sockets it opened are
   * closed again.
   */
  async changePin(oldPin: string, newPin: string, options: WaitOptions = {}): Promise<PinChange> {
    checkedPin(newPin);
    const opened: string[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      this.relayOrigins().map(async (origin) => {
        if (this.connectionState(origin) === 'connected') return;
        try {
          await this.open(origin, options);
          opened.push(origin);
        } catch {
          unreachable.push(origin);
          await this.stopLink(this.linkFor(origin));
        }
      }),
    );
    try {
      if (unreachable.length > 0) {
        throw new VirtualDeviceError(
          'relays_unreachable',
          `a PIN change needs every relay; not reachable: ${unreachable.sort().join(', ')}. Nothing was changed.`,
          { relays: unreachable },
        );
      }
      const change: PinChange = { changed: [], failed: [] };
      for (const account of [...this.store.list()]) {
        const outcome = await this.rekeyOne(account, oldPin, newPin);
        if (outcome.ok) change.changed.push(accountInfo(account));
        else change.failed.push({ account: accountInfo(account), ...outcome.failure });
      }
      return change;
    } finally {
      for (const origin of opened) await this.stopLink(this.linkFor(origin));
    }
  }

  private async rekeyOne(
    account: DeviceAccount,
    oldPin: string,
    newPin: string,
  ): Promise<{ ok: true } | { ok: false; failure: { code: string; message: string; attemptsLeft?: number | null } }> {
    const { deviceId, relayOrigin } = account;
    const channel = this.channel(this.linkFor(relayOrigin));
    const approvalSigner = (secretKey: Uint8Array) => secretKeySigner(secretKey, account.publicKey);
    let secretKey: Uint8Array;
    if (account.legacyApprovalKey !== undefined) secretKey = fromBase64Url(account.legacyApprovalKey);
    else {
      const unlocked = await unlockWithPin({ pin: oldPin, deviceId, wrapped: account.pinWrapped!, channel, approvalSigner });
      this.told(relayOrigin, deviceId, unlocked);
      if (!unlocked.ok) {
        return { ok: false, failure: { code: unlocked.code, message: unlocked.message, attemptsLeft: unlocked.attemptsLeft ?? null } };
      }
      secretKey = unlocked.secretKey;
    }
    try {
      let failure = { code: 'bad_wrap', message: 'The new copy of the key could not be confirmed.' };
      for (let attempt = 0; attempt < 2; attempt++) {
        const made = await rekeyAccount({ newPin, deviceId, secretKey, channel, approvalSigner });
        if (!made.ok) return { ok: false, failure: { code: made.code, message: made.message } };
        const current = this.store.find(deviceId);
        if (!current) return { ok: false, failure: { code: 'revoked', message: 'The account was removed meanwhile.' } };
        // The relay forgot the old OPRF key on answering: the new copy is the only one that opens.
        await this.store.add({
          ...current,
          pinWrapped: made.wrapped,
          webauthnWrapped: current.webauthnWrapped ?? (await this.authenticator.wrap(secretKey, deviceId)),
        });
        this.pins.set(deviceId, newPin);
        const confirmed = await confirmNewWrap({ pin: newPin, deviceId, wrapped: made.wrapped, channel, approvalSigner, secretKey });
        if (confirmed.ok) {
          const { legacyApprovalKey: _raw, ...upgraded } = this.store.find(deviceId) ?? current;
          if (_raw !== undefined) await this.store.add(upgraded);
          return { ok: true };
        }
        failure = confirmed;
      }
      return { ok: false, failure };
    } finally {
      secretKey.fill(0);
    }
  }

  /** Runs after the account is stored; see `pair()`. */
  private async confirmPairing(account: DeviceAccount, pin: string, secretKey: Uint8Array, options: WaitOptions): Promise<void> {
    const origin = account.relayOrigin;
    const link = this.linkFor(origin);
    const wasOpen = link.connection.openSocket() !== null;
    try {
      // A new account authenticates on a fresh socket, as in the extension (auth comes once per socket).
      if (wasOpen) {
        await this.connections.accountAdded(origin);
        await this.connected(origin, options);
      } else await this.open(origin, options);
    } catch (error) {
      if (!wasOpen) await this.stopLink(link);
      const why = error instanceof Error ? error.message : String(error);
      throw new VirtualDeviceError(
        'pairing_unconfirmed',
        `paired ${account.upn} on ${origin}, but its socket could not confirm the PIN wrap (${why}); the account is kept and its first approval proves it`,
        { reason: error instanceof VirtualDeviceError ? error.code : 'closed' },
      );
    }
    const confirmed = await confirmNewWrap({
      pin,
      deviceId: account.deviceId,
      wrapped: account.pinWrapped!,
      channel: this.channel(link),
      approvalSigner: (secret) => secretKeySigner(secret, account.publicKey),
      secretKey,
    });
    if (!wasOpen) await this.stopLink(link);
    if (confirmed.ok) return;
    const useless = ['wrong_pin', 'bad_wrap', 'bad_evaluation'].includes(confirmed.code);
    if (useless) await this.store.remove(account.deviceId);
    throw new VirtualDeviceError(
      'pairing_unconfirmed',
      `paired ${account.upn} on ${origin}, but the new PIN wrap was not confirmed (${confirmed.code}: ${confirmed.message}); ` +
        (useless ? 'the account is forgotten, since no PIN opens its copy' : 'the account is kept and its first approval proves it'),
      { reason: confirmed.code },
    );
  }

  // ---- Connections ----

  /**
   * Opens the socket of one relay, or of every relay the device holds accounts on, and resolves
   * when each has sent a `ready` accepting an account. Rejects when a relay closes first (4401:
   * no credential accepted). Credentials a relay refused are left out of later sockets, as the
   * extension does, but `connect()` is asked explicitly: it offers them again.
   */
  async connect(relayOrigin?: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>[]> {
    const origins = relayOrigin === undefined ? this.relayOrigins() : [this.checkedOrigin(relayOrigin)];
    if (origins.length === 0) throw new VirtualDeviceError('no_accounts', 'the device holds no accounts; pair it first');
    for (const origin of origins) {
      if (this.accounts(origin).length === 0) {
        throw new VirtualDeviceError('no_accounts', `the device holds no account on ${origin}`);
      }
      this.forgetRefusals(origin);
      this.openConnection(origin);
    }
    return Promise.all(origins.map((origin) => this.connected(origin, options)));
  }

  /** Opens one relay's socket with the credentials not refused, and waits for its `ready`. */
  private async open(origin: string, options: WaitOptions): Promise<FromRelay<ReadyMessage>> {
    this.openConnection(origin);
    return this.connected(origin, options);
  }

  private openConnection(origin: string): void {
    const { connection } = this.linkFor(origin);
    connection.resume();
    // 'error': the relay refused every credential or there was none; asked again, try again.
    if (connection.state === 'error') connection.reauthenticate();
    else connection.ensure();
  }

  /** Resolves with the `ready` of the current socket, at once if it came already. */
  async connected(relayOrigin: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>> {
    const origin = this.checkedOrigin(relayOrigin);
    const link = this.links.get(origin);
    if (link?.ready && link.connection.state === 'connected') return link.ready;
    return this.waitUntil(`ready from ${origin}`, options, (resolve, reject) => [
      this.subscribe('ready', (ready) => {
        if (ready.relayOrigin === origin) resolve(ready);
      }),
      this.subscribe('close', (closed) => {
        if (closed.relayOrigin === origin && !closed.willReconnect) reject(closedError(closed));
      }),
    ]);
  }

  /** The device core's state of one relay's connection ('idle' when never opened). */
  connectionState(relayOrigin: string): ConnectionState {
    return this.links.get(this.checkedOrigin(relayOrigin))?.connection.state ?? 'idle';
  }

  /**
   * Drops the socket of one relay and opens a new one that offers every account held there,
   * refused ones too (asked explicitly, as `connect()`).
   */
  async reconnect(relayOrigin: string, options: WaitOptions = {}): Promise<FromRelay<ReadyMessage>> {
    const origin = this.checkedOrigin(relayOrigin);
    this.forgetRefusals(origin);
    this.linkFor(origin).connection.reauthenticate();
    return this.connected(origin, options);
  }

  /** Closes every socket with 1000, stops reconnecting, and waits for the sockets and key file writes. */
  async close(): Promise<void> {
    const closing = [...this.links.values()].map((link) => {
      const socket = link.ws;
      link.connection.stop();
      return socket ? socketGone(socket, this.timeoutMs) : Promise.resolve();
    });
    await Promise.all(closing);
    await Promise.allSettled([...this.storeWrites]);
  }

  /**
   * The close of a relay's socket: the last one when it is closed now, else the next one.
   * `relayOrigin` may be left out when the device has talked to one relay only.
   */
  async waitForClose(relayOrigin?: string, options: WaitOptions = {}): Promise<CloseInfo> {
    const origin = relayOrigin === undefined ? this.onlyLinkOrigin() : this.checkedOrigin(relayOrigin);
    const link = this.links.get(origin);
    if (link?.lastClose && !link.connection.openSocket()) return link.lastClose;
    return this.waitUntil(`close of ${origin}`, options, (resolve) => [
      this.subscribe('close', (closed) => {
        if (closed.relayOrigin === origin) resolve(closed);
      }),
    ]);
  }

  // ---- Challenges and notices ----

  /** Challenges not yet decided, cancelled or answered, oldest first. */
  pendingChallenges(): ReceivedChallenge[] {
    return [...this.pending.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The oldest pending challenge that matches, or else the next one that arrives and matches. */
  waitForChallenge(
    predicate: (challenge: ReceivedChallenge) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<ReceivedChallenge> {
    const waiting = this.pendingChallenges().find(predicate);
    if (waiting) return Promise.resolve(waiting);
    return this.waitUntil('a challenge', options, (resolve) => [
      this.subscribe('challenge', (challenge) => {
        if (predicate(challenge)) resolve(challenge);
      }),
    ]);
  }

  waitForCancel(requestId: string, options: WaitOptions = {}): Promise<FromRelay<CancelMessage>> {
    const seen = this.cancels.get(requestId);
    if (seen) return Promise.resolve(seen);
    return this.waitUntil(`cancel of ${requestId}`, options, (resolve) => [
      this.subscribe('cancel', (cancel) => {
        if (cancel.requestId === requestId) resolve(cancel);
      }),
    ]);
  }

  /** The revocation of `deviceId` (at once if it came already), or with no id the next one. */
  waitForRevoked(deviceId?: string, options: WaitOptions = {}): Promise<EventPayload<'revoked'>> {
    const seen = deviceId === undefined ? undefined : this.revocations.get(deviceId);
    if (seen) return Promise.resolve(seen);
    return this.waitUntil(`revocation${deviceId ? ` of ${deviceId}` : ''}`, options, (resolve) => [
      this.subscribe('revoked', (revoked) => {
        if (deviceId === undefined || revoked.deviceId === deviceId) resolve(revoked);
      }),
    ]);
  }

  /** The notices received so far (the latest 1000), oldest first. */
  notices(): ReceivedNotice[] {
    return [...this.noticeLog];
  }

  /** The oldest notice received that matches, or else the next one that arrives and matches. */
  waitForNotice(predicate: (notice: ReceivedNotice) => boolean = () => true, options: WaitOptions = {}): Promise<ReceivedNotice> {
    const seen = this.noticeLog.find(predicate);
    if (seen) return Promise.resolve(seen);
    return this.waitUntil('a notice', options, (resolve) => [
      this.subscribe('notice', (notice) => {
        if (predicate(notice)) resolve(notice);
      }),
    ]);
  }

  // ---- Decisions ----

  /**
   * Signed with the approval key, `unlock` 'pin' unless told; resolves with the relay's `result`
   * (which may well be `wrong_number` or `rejected`). With 'pin' it first runs the unlock round
   * trip with `options.pin` (default the account's PIN): a wrong PIN rejects with `wrong_pin` and
   * `attemptsLeft`, a locked account with `pin_locked`, and no decision goes out.
   */
  approve(requestId: string, number: string, options: ApproveOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'approve', number, unlock: options.unlock ?? this.unlock });
  }

  /**
   * Only the unlock round trip of an approval (unlock → unlocked → unwrap → unlock_proof), signing
   * nothing: QA drives wrong PINs and a lock with it. Resolves when unlocked; rejects like
   * `approve()` (`wrong_pin` with `attemptsLeft`, `pin_locked`, `pin_attempts`, …).
   */
  async tryPin(deviceId: string, pin?: string): Promise<{ attemptsLeft: number | null }> {
    const account = this.store.find(deviceId);
    if (!account) throw new VirtualDeviceError('no_accounts', `the device holds no account ${deviceId}`);
    const link = this.links.get(account.relayOrigin);
    if (link?.connection.state !== 'connected') throw notConnected(account.relayOrigin);
    let attemptsLeft: number | null = null;
    const listen = (event: PinUnlockEvent) => {
      if (event.deviceId === deviceId) attemptsLeft = event.attemptsLeft;
    };
    this.on('unlock', listen);
    try {
      const secret = await this.releaseApprovalKey(account, { unlock: 'pin', ...(pin !== undefined ? { pin } : {}) });
      secret.fill(0);
    } finally {
      this.off('unlock', listen);
    }
    return { attemptsLeft };
  }

  /**
   * Removes an account from this device and unregisters it on its relay (section 4 `remove`):
   * releases the approval key (the PIN round trip, or 'webauthn'), signs `remove` over the open
   * socket's nonce, and resolves once the relay answered `revoked` and the account is forgotten.
   * Rejects with the relay's code (`bad_signature`, `unknown_device`, …), `wrong_pin`,
   * `pin_locked`, `not_connected` or `timeout`; the account is then kept.
   */
  async remove(deviceId: string, options: WaitOptions & { unlock?: ApprovalUnlock; pin?: string } = {}): Promise<void> {
    const account = this.store.find(deviceId);
    if (!account) throw new VirtualDeviceError('no_accounts', `the device holds no account ${deviceId}`);
    const link = this.links.get(account.relayOrigin);
    if (link?.connection.state !== 'connected') throw notConnected(account.relayOrigin);
    const unlock = options.unlock ?? this.unlock;
    const secret = await this.releaseApprovalKey(account, {
      unlock: unlock === 'webauthn' ? 'webauthn' : 'pin',
      ...(options.pin !== undefined ? { pin: options.pin } : {}),
    });
    const nonce = link.connection.nonce;
    if (nonce === null) {
      secret.fill(0);
      throw notConnected(account.relayOrigin);
    }
    let frame;
    try {
      frame = await removeFrame({ relayOrigin: account.relayOrigin, nonce, deviceId, signer: secretKeySigner(secret, account.publicKey) });
    } finally {
      secret.fill(0);
    }
    const answer = await sendRemoval({
      connection: link.connection,
      nonce,
      frame,
      waiters: link.removals,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    });
    if (!answer.ok) throw new VirtualDeviceError(answer.code, `the relay did not remove ${deviceId}: ${answer.message}`);
    await this.waitForRevoked(deviceId, options);
  }

  /** Signed with the connect key, `unlock` 'none': refusing needs no unlock. */
  deny(requestId: string, options: WaitOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'deny' });
  }

  /** Signed with the connect key, `unlock` 'none'. */
  report(requestId: string, options: WaitOptions = {}): Promise<FromRelay<ResultMessage>> {
    return this.sendDecision({ ...options, requestId, decision: 'report' });
  }

  /**
   * Signs and sends a `decision`, then resolves with the relay's `result` for that request.
   * Rejects with `timeout` when none comes, `closed` when the socket closes first,
   * `not_connected` without an authenticated socket, and `invalid_decision` for fields no
   * statement can hold (an approve with unlock 'none' and no `signature`, a newline).
   */
  async sendDecision(input: DecisionInput): Promise<FromRelay<ResultMessage>> {
    const challenge = this.pending.get(input.requestId);
    const origin =
      input.relayOrigin !== undefined ? this.checkedOrigin(input.relayOrigin) : (challenge?.relayOrigin ?? this.onlyReadyOrigin());
    const account = this.signerFor(origin, input.deviceId ?? challenge?.deviceId);
    const unlock = input.unlock ?? (input.decision === 'approve' || input.signWith === 'approval' ? this.unlock : 'none');
    const connection = this.links.get(origin)?.connection;
    if (connection?.state !== 'connected') throw notConnected(origin);
    const fields = {
      requestId: input.requestId,
      deviceId: input.deviceId ?? account.deviceId,
      decision: input.decision,
      number: input.number ?? '',
      signedAt: input.signedAt ?? this.now(),
      unlock,
    };
    const signWith = input.signWith ?? (unlock === 'none' ? 'connect' : 'approval');
    let frame: DecisionMessage;
    if (input.signature !== undefined) frame = { type: 'decision', ...fields, signature: input.signature };
    else if (signWith === 'connect') frame = await signDecision(origin, fields, connectSigner(account));
    else {
      // The approval key exists unwrapped only for this one signature.
      const how = { unlock, ...(input.pin !== undefined ? { pin: input.pin } : {}) };
      const secret = await this.releaseApprovalKey(account, how);
      try {
        frame = await signDecision(origin, fields, secretKeySigner(secret, account.publicKey));
      } finally {
        secret.fill(0);
      }
    }
    if (connection.state !== 'connected') throw notConnected(origin);
    // Listen before sending: a fast relay may answer before `send` returns to us.
    let fail: (error: Error) => void = () => undefined;
    const result = this.waitUntil<FromRelay<ResultMessage>>(`result of ${input.requestId}`, input, (resolve, reject) => {
      fail = reject;
      return [
        this.subscribe('result', (answer) => {
          if (answer.relayOrigin === origin && answer.requestId === input.requestId) resolve(answer);
        }),
        this.subscribe('close', (closed) => {
          if (closed.relayOrigin === origin) reject(closedError(closed));
        }),
        // It names no request, and this decision may be the frame that failed: answer again later.
        this.subscribe('relayError', (error) => {
          if (error.relayOrigin === origin && isRelayUnavailable(error)) reject(new VirtualDeviceError('unavailable', error.message));
        }),
      ];
    });
    if (!connection.send(frame)) fail(notConnected(origin));
    return result;
  }

  /** Sends bytes as they are: a string as a text frame, a Buffer as a binary frame. */
  sendRaw(relayOrigin: string, data: string | Buffer): void {
    const origin = this.checkedOrigin(relayOrigin);
    const link = this.links.get(origin);
    const socket = link?.ws;
    if (!link || !socket || link.closeReported || socket.readyState !== WebSocket.OPEN) {
      throw new VirtualDeviceError('not_connected', `no open socket to ${origin}`);
    }
    socket.send(data, { binary: typeof data !== 'string' });
  }

  // ---- The approval key (section 4a) ----

  private pinFor(deviceId: string): string {
    return this.pins.get(deviceId) ?? this.pin;
  }

  /**
   * The approval key's secret for one signature; the caller wipes it. 'webauthn' opens the
   * virtual authenticator's copy (no evaluation); anything else runs the PIN round trip. An
   * account from a revision 2 key file is upgraded first.
   */
  private async releaseApprovalKey(account: DeviceAccount, how: { unlock: Unlock; pin?: string }): Promise<Uint8Array> {
    const { deviceId, relayOrigin } = account;
    const pin = how.pin ?? this.pinFor(deviceId);
    if (account.legacyApprovalKey !== undefined) return this.upgrade(account, pin);
    if (how.unlock === 'webauthn') {
      const secret = account.webauthnWrapped ? await this.authenticator.unwrap(account.webauthnWrapped, deviceId) : null;
      if (!secret) {
        throw new VirtualDeviceError(
          'no_webauthn',
          `this device's authenticator holds no copy of the key of ${deviceId}; approve with the PIN`,
        );
      }
      return secret;
    }
    const unlocked = await unlockWithPin({
      pin,
      deviceId,
      wrapped: account.pinWrapped!,
      channel: this.channel(this.linkFor(relayOrigin)),
      approvalSigner: (secret) => secretKeySigner(secret, account.publicKey),
    });
    this.told(relayOrigin, deviceId, unlocked);
    if (!unlocked.ok) {
      throw new VirtualDeviceError(unlocked.code, unlocked.message, { attemptsLeft: unlocked.attemptsLeft ?? null });
    }
    return unlocked.secretKey;
  }

  /**
   * A revision 2 account (approval key kept raw) at its first approval: evaluate the PIN, wrap,
   * prove, confirm the new copy with a second unlock, and only then drop the raw key. The PIN
   * given now becomes the account's PIN (revision 2 had none).
   */
  private async upgrade(account: DeviceAccount, pin: string): Promise<Uint8Array> {
    const { deviceId, relayOrigin } = account;
    const secretKey = fromBase64Url(account.legacyApprovalKey!);
    const made = await wrapAndConfirm({
      pin: checkedPin(pin),
      deviceId,
      secretKey,
      channel: this.channel(this.linkFor(relayOrigin)),
      approvalSigner: (secret) => secretKeySigner(secret, account.publicKey),
    });
    this.emit('unlock', { relayOrigin, deviceId, outcome: made.ok ? 'unlocked' : made.code, attemptsLeft: null });
    if (!made.ok) {
      secretKey.fill(0);
      throw new VirtualDeviceError(made.code, `the revision 3 upgrade of ${deviceId} failed, the old key is kept: ${made.message}`);
    }
    const { legacyApprovalKey: _raw, ...current } = this.store.find(deviceId) ?? account;
    await this.store.add({ ...current, pinWrapped: made.wrapped, webauthnWrapped: await this.authenticator.wrap(secretKey, deviceId) });
    this.pins.set(deviceId, pin);
    return secretKey;
  }

  private told(relayOrigin: string, deviceId: string, unlocked: { ok: boolean; code?: string; attemptsLeft?: number | null }): void {
    const outcome = unlocked.ok ? 'unlocked' : (unlocked.code ?? 'failed');
    this.emit('unlock', { relayOrigin, deviceId, outcome, attemptsLeft: unlocked.attemptsLeft ?? null });
  }

  /** One relay's socket as the shared PIN flows use it: each evaluation waits for its answer on the socket it went out on. */
  private channel(link: RelayLink): PinChannel {
    const { connection } = link;
    const evaluation = async (
      kind: 'unlock' | 'rekey',
      deviceId: string,
      build: (nonce: string) => Promise<DeviceToRelayMessage>,
    ): Promise<Awaited<ReturnType<PinChannel['unlock']>>> => {
      const nonce = connection.nonce;
      if (connection.state !== 'connected' || nonce === null) {
        return { answer: { ok: false, code: 'not_connected', message: `not connected to ${link.origin}` }, nonce: null };
      }
      const frame = await build(nonce);
      const waiting = link.waiters.wait(kind, deviceId, this.timeoutMs);
      if (connection.nonce !== nonce || !connection.send(frame)) link.waiters.dropAll();
      const answer = await waiting;
      return { answer, nonce: connection.nonce === nonce ? nonce : null };
    };
    return {
      relayOrigin: link.origin,
      unlock: (deviceId, blinded) => evaluation('unlock', deviceId, async () => ({ type: 'unlock', deviceId, blinded })),
      rekey: (deviceId, build) => evaluation('rekey', deviceId, build),
      sendOn: async (nonce, frame) => connection.nonce === nonce && connection.send(frame),
    };
  }

  /** Closes one relay's socket (it stays closed until `connect()`), and waits for it to go. */
  private async stopLink(link: RelayLink): Promise<void> {
    const socket = link.ws;
    link.connection.stop();
    if (socket) await socketGone(socket, this.timeoutMs);
  }

  // ---- Socket life (the core's RelayConnections; this side only keeps the record) ----

  private linkFor(origin: string): RelayLink {
    const existing = this.links.get(origin);
    if (existing) return existing;
    const link: RelayLink = {
      origin,
      socketError: undefined,
      ws: null,
      closeReported: true,
      ready: null,
      lastClose: null,
      waiters: new EvaluationWaiters(),
      removals: new RemovalWaiters(),
      connection: this.connections.for(origin),
    };
    this.links.set(origin, link);
    return link;
  }

  /** The key file's accounts as the core's account source, leaving out the refused ones. */
  private relayAccounts(): RelayAccounts {
    const usable = () => this.store.list().filter((account) => !this.refused.has(account.deviceId));
    return {
      usable: (origin) =>
        usable()
          .filter((account) => account.relayOrigin === origin)
          .map((account) => ({ deviceId: account.deviceId, connect: connectSigner(account) })),
      relayOrigins: () => [...new Set(usable().map((account) => account.relayOrigin))],
      markRefused: (origin, codeFor) => {
        for (const account of this.store.list()) {
          if (account.relayOrigin !== origin) continue;
          const code = codeFor(account.deviceId, this.refused.get(account.deviceId));
          if (code !== undefined) this.refused.set(account.deviceId, code);
        }
      },
    };
  }

  private forgetRefusals(origin: string): void {
    for (const account of this.accounts(origin)) this.refused.delete(account.deviceId);
  }

  private createSocket(link: RelayLink, url: string): WebSocketLike {
    // The core drops the old socket without a close event when it opens a new one.
    if (link.ws && !link.closeReported) {
      this.socketClosed(link, { code: 1000, reason: 'reconnecting', meaning: 'dropped', willReconnect: true });
    }
    const socket = new WebSocket(url);
    link.ws = socket;
    link.socketError = undefined;
    link.closeReported = false;
    return socketLike(socket, (error) => {
      if (link.ws === socket) link.socketError = error.message;
    });
  }

  private socketClosed(link: RelayLink, closed: ClosedSocket): void {
    link.closeReported = true;
    link.ready = null;
    // An evaluation waiting on this socket gets no answer now (and counts as a failure there).
    link.waiters.dropAll();
    link.removals.dropAll();
    // The relay sends every still-pending challenge again after the next `ready`.
    for (const [requestId, challenge] of this.pending) {
      if (challenge.relayOrigin === link.origin) this.pending.delete(requestId);
    }
    const info: CloseInfo = {
      relayOrigin: link.origin,
      code: closed.code,
      reason: closed.reason,
      meaning: closed.meaning,
      willReconnect: closed.willReconnect,
    };
    if (link.socketError !== undefined) info.error = link.socketError;
    link.lastClose = info;
    this.emit('close', info);
  }

  // ---- Frames (hello, ready and ping are the core's) ----

  private receive(link: RelayLink, frame: RelayToDeviceMessage): void {
    const relayOrigin = link.origin;
    // `unlocked`, `rekeyed`, and `error` naming a device go to the evaluation waiting for them;
    // `revoked` and `error` also answer a removal (and a `revoked` still forgets the account below).
    link.removals.take(frame);
    if (link.waiters.take(frame) && frame.type !== 'error') return;
    switch (frame.type) {
      case 'challenge': {
        const challenge = { ...frame, relayOrigin };
        this.pending.set(frame.requestId, challenge);
        this.emit('challenge', challenge);
        return;
      }
      case 'cancel': {
        const cancel = { ...frame, relayOrigin };
        this.pending.delete(frame.requestId);
        remember(this.cancels, cancel.requestId, cancel);
        this.emit('cancel', cancel);
        return;
      }
      case 'result':
        this.pending.delete(frame.requestId);
        this.emit('result', { ...frame, relayOrigin });
        return;
      case 'revoked':
        this.forget(relayOrigin, frame);
        return;
      case 'notice': {
        const notice = { ...frame, relayOrigin };
        this.noticeLog.push(notice);
        if (this.noticeLog.length > MAX_REMEMBERED_EVENTS) this.noticeLog.shift();
        this.emit('notice', notice);
        if (frame.kind === 'pin_failure') this.emit('pinFailure', notice);
        if (frame.kind === 'pin_locked') this.emit('pinLocked', notice);
        return;
      }
      case 'error':
        this.emit('relayError', { ...frame, relayOrigin });
        return;
      default:
        return;
    }
  }

  private forget(relayOrigin: string, message: RevokedMessage): void {
    const held = this.store.find(message.deviceId);
    const account = held && held.relayOrigin === relayOrigin ? held : undefined;
    for (const [requestId, challenge] of this.pending) {
      if (challenge.deviceId === message.deviceId) this.pending.delete(requestId);
    }
    this.refused.delete(message.deviceId);
    if (account) {
      // The store drops the account at once; the file write finishes in the background.
      const write = this.store.remove(account.deviceId).catch((error: unknown) => {
        this.emit('storeError', error instanceof Error ? error : new Error(String(error)));
      });
      this.storeWrites.add(write);
      void write.finally(() => this.storeWrites.delete(write));
    }
    const revoked = { ...message, relayOrigin, account: account ? accountInfo(account) : undefined };
    remember(this.revocations, message.deviceId, revoked);
    this.emit('revoked', revoked);
  }

  // ---- Lookups ----

  private checkedOrigin(relayOrigin: string): string {
    const origin = normalizeOrigin(relayOrigin);
    if (!origin) throw new VirtualDeviceError('invalid_origin', `not an http(s) origin: ${relayOrigin}`);
    return origin;
  }

  private onlyLinkOrigin(): string {
    const origins = [...this.links.keys()];
    if (origins.length !== 1) {
      throw new VirtualDeviceError('ambiguous_relay', `the device has ${origins.length} relays; name one`);
    }
    return origins[0]!;
  }

  private onlyReadyOrigin(): string {
    const ready = [...this.links.values()].filter((link) => link.connection.state === 'connected').map((link) => link.origin);
    if (ready.length !== 1) {
      throw new VirtualDeviceError('ambiguous_relay', `the device is connected to ${ready.length} relays; name one`);
    }
    return ready[0]!;
  }

  /** The account that signs: the one with `deviceId` when held here, else the first on the relay. */
  private signerFor(origin: string, deviceId: string | undefined): DeviceAccount {
    const onRelay = this.store.list().filter((account) => account.relayOrigin === origin);
    const signer = onRelay.find((account) => account.deviceId === deviceId) ?? onRelay[0];
    if (!signer) throw new VirtualDeviceError('no_accounts', `the device holds no account on ${origin}`);
    return signer;
  }

  // ---- Waiting ----

  private subscribe<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void {
    const handler = listener as (...args: VirtualDeviceEvents[K]) => void;
    // The cast bridges EventEmitter's generic key typing, which cannot follow a generic K.
    this.on(event, handler as never);
    return () => this.off(event, handler as never);
  }

  /**
   * A promise settled by events: `watch` subscribes and returns its unsubscribers, which run
   * as soon as the promise settles or the time limit passes.
   */
  private waitUntil<T>(
    what: string,
    options: WaitOptions,
    watch: (resolve: (value: T) => void, reject: (error: Error) => void) => Array<() => void>,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let unsubscribers: Array<() => void> = [];
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const unsubscribe of unsubscribers) unsubscribe();
        settle();
      };
      const timer = setTimeout(
        () => finish(() => reject(new VirtualDeviceError('timeout', `no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      unsubscribers = watch(
        (value) => finish(() => resolve(value)),
        (error) => finish(() => reject(error)),
      );
      if (settled) for (const unsubscribe of unsubscribers) unsubscribe();
    });
  }
}

// ---- Keys ----

/** The connect key, kept as base64url text: its bytes exist only while one statement is signed. */
function connectSigner(account: DeviceAccount): StatementSigner {
  const publicKey = account.connectPublicKey;
  return {
    publicKey,
    async sign(statement) {
      const secretKey = fromBase64Url(account.connectKey);
      try {
        return await secretKeySigner(secretKey, publicKey).sign(statement);
      } finally {
        secretKey.fill(0);
      }
    },
  };
}

async function signDecision(
  relayOrigin: string,
  fields: Omit<DecisionMessage, 'type' | 'signature'>,
  signer: StatementSigner,
): Promise<DecisionMessage> {
  try {
    return await buildDecision({ relayOrigin, ...fields, signer });
  } catch (error) {
    if (error instanceof ProtocolError) throw new VirtualDeviceError('invalid_decision', error.message);
    throw error;
  }
}

// ---- Sockets ----

/** Resolves once the socket is closed; a peer that never finishes the close handshake gets it cut. */
function socketGone(socket: WebSocket, timeoutMs: number): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---- Small parts ----

/** A PIN follows the extension's rule (protocol/pin-rule.ts), so QA cannot use one a person could not. */
function checkedPin(pin: string): string {
  if (!isValidPin(pin)) throw new VirtualDeviceError('invalid_pin', PIN_RULE_TEXT);
  return pin;
}

/** Uniform in [0, 1) from the CSPRNG (reconnect jitter must not be guessable either). */
function cryptoRandom(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

/** Keeps the latest entries only, so a long-running listener does not grow without bound. */
function remember<T>(entries: Map<string, T>, key: string, value: T): void {
  entries.delete(key);
  entries.set(key, value);
  if (entries.size > MAX_REMEMBERED_EVENTS) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
}

function notConnected(origin: string): VirtualDeviceError {
  return new VirtualDeviceError('not_connected', `not connected to ${origin}; call connect() first`);
}

function closedError(closed: CloseInfo): VirtualDeviceError {
  const why = closed.error ?? (closed.reason || 'no reason');
  return new VirtualDeviceError('closed', `${closed.relayOrigin} closed the socket with ${closed.code} (${why})`);
}
