import { browser } from 'wxt/browser';
import type { WebSocketLike } from '../../../protocol/device/index.ts';
import {
  activeAccounts,
  isActiveAccount,
  openCountersignDb,
  pruneHistory,
  readLock,
  readPrefs,
  type AccountRecord,
  type CountersignDB,
  type Db,
  type LockRecord,
} from '../../lib/db.ts';
import { DecisionWaiters, decide } from '../../lib/decide.ts';
import { handleRelayFrame, removeAccount, sweepExpired, type FrameEffects } from '../../lib/frame-handler.ts';
import { confirmPinWrap, dropUnconfirmed, markPinLocked, storePinWrap } from '../../lib/pin-records.ts';
import { RelayConnections } from '../../lib/relay-connections.ts';
import { readNewAccount, type NewAccountMessage } from '../../lib/new-account-channel.ts';
import { readHandover } from '../../lib/remember-channel.ts';
import { redeemPairing } from './redeem-pairing.ts';
import { biometricStatus, disableBiometric, readBiometric, storeBiometric } from '../../lib/webauthn-unlock.ts';
import {
  CHANGED_BROADCAST,
  type ActivityItem,
  type AppState,
  type Failure,
  type PinAccount,
  type ResponseMap,
  type RuntimeRequest,
} from '../../lib/runtime-messages.ts';
import { announceChallenge, clearChallengeNotice, openRelayPage, setBadgeCount, showAuthenticatorNotice } from './notices.ts';
import { forgetUnlock, isUnlockRemembered, recallUnlock, rememberUnlock } from './pin-cache.ts';
import { PinRelay } from './pin-relay.ts';
import { RelayRemovals } from './relay-removal.ts';
import { CodeClaims } from './code-claims.ts';
import { approvalWindow } from './approval-window.ts';

/**
 * The authenticator living in the service worker: accounts, relay connections (the device
 * core's RelayConnection), challenges and decisions. Stateless across worker restarts except
 * for what IndexedDB holds, so a stopped worker picks up where it was; only a remembered PIN
 * is lost, by design.
 */

const READY_TIMEOUT_MS = 10_000;
const RESULT_TIMEOUT_MS = 15_000;
const ACTIVITY_LINES = 10;

function log(message: string, detail?: unknown): void {
  console.info(`[countersign] ${message}`, detail ?? '');
}

function cryptoRandom(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

export class DeviceService {
  private database: Promise<Db> | null = null;
  private readonly waiters = new DecisionWaiters();
  private readonly expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();

  private readonly effects: FrameEffects = {
    now: () => Date.now(),
    challengeArrived: (pending) => {
      log(`challenge ${pending.requestId} for ${pending.challenge.account.upn}`);
      this.scheduleExpiry(pending.requestId, pending.challenge.expiresAt);
      // A code the person just typed: claimCode opens its window; no notification about it.
      if (pending.code !== undefined) {
        void this.refreshBadge();
        this.broadcast();
        return;
      }
      void this.announce(pending.requestId).catch((error: unknown) => log('notice failed', error));
    },
    challengeSettled: (requestId, outcome) => {
      this.waiters.settled(requestId, outcome);
      clearTimeout(this.expiryTimers.get(requestId));
      this.expiryTimers.delete(requestId);
      void clearChallengeNotice(requestId).catch(() => undefined);
      void this.refreshBadge();
      this.broadcast();
    },
    accountsChanged: () => {
      void this.connections.sync();
      this.broadcast();
    },
    ownPinFailure: (deviceId) => this.pinRelay.claimOwnFailure(deviceId),
    claimedCode: (origin, deviceId) => this.codeClaims.codeFor(origin, deviceId),
    noticeArrived: (notice) => {
      log(`notice ${notice.kind} for ${notice.upn}`);
      void showAuthenticatorNotice(notice).catch((error: unknown) => log('notice failed', error));
      this.broadcast();
    },
  };

  private readonly connections = new RelayConnections({
    db: () => this.db(),
    createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    handleFrame: async (origin, frame) => {
      this.waiters.take(origin, frame);
      if (this.codeClaims.takeError(origin, frame) || this.removals.take(origin, frame) || this.pinRelay.take(origin, frame))
        return 'ignored';
      const handled = await handleRelayFrame(await this.db(), origin, frame, this.effects);
      this.codeClaims.challengeHandled(origin, frame);
      return handled;
    },
    onClose: (origin) => {
      this.pinRelay.socketClosed(origin);
      this.removals.socketClosed(origin);
      this.codeClaims.socketClosed(origin);
    },
    changed: () => this.broadcast(),
    random: cryptoRandom,
    now: () => Date.now(),
    log,
  });

  private readonly pinRelay: PinRelay = new PinRelay({
    connection: (origin) => this.connections.for(origin),
    readyTimeoutMs: READY_TIMEOUT_MS,
    now: () => Date.now(),
    locked: async (deviceId) => {
      if (await markPinLocked(await this.db(), deviceId)) {
        forgetUnlock(deviceId);
        this.broadcast();
      }
    },
  });

  private readonly removals = new RelayRemovals({
    connection: (origin) => this.connections.for(origin),
    readyTimeoutMs: READY_TIMEOUT_MS,
  });

  private readonly codeClaims = new CodeClaims({
    connection: (origin) => this.connections.for(origin),
    readyTimeoutMs: READY_TIMEOUT_MS,
    now: () => Date.now(),
  });

  db(): Promise<Db> {
    this.database ??= openCountersignDb();
    return this.database;
  }

  /** Called on every worker start and by the watchdog alarm: idempotent. */
  async wake(): Promise<void> {
    const db = await this.db();
    await sweepExpired(db, this.effects);
    for (const pending of await db.getAll('pending')) this.scheduleExpiry(pending.requestId, pending.challenge.expiresAt);
    await this.connections.sync();
    await this.refreshBadge();
  }

  private scheduleExpiry(requestId: string, expiresAt: number): void {
    clearTimeout(this.expiryTimers.get(requestId));
    const delay = Math.max(0, expiresAt - Date.now()) + 500;
    this.expiryTimers.set(
      requestId,
      setTimeout(() => void this.db().then((db) => sweepExpired(db, this.effects)), delay),
    );
  }

  private async announce(requestId: string): Promise<void> {
    const db = await this.db();
    const pending = await db.get('pending', requestId);
    if (!pending) return;
    await this.refreshBadge();
    this.broadcast();
    const prefs = await readPrefs(db);
    await announceChallenge(pending, { openWindow: prefs.autoOpen, failed: (channel, error) => log(`${channel} notice failed`, error) });
  }

  async refreshBadge(): Promise<void> {
    const db = await this.db();
    await setBadgeCount(await db.count('pending')).catch(() => undefined);
  }

  broadcast(): void {
    browser.runtime.sendMessage(CHANGED_BROADCAST).catch(() => undefined);
  }

  /** Opens the security info page of the relay holding `deviceId` (where authenticators are added and removed). */
  async openSecurityInfo(deviceId: string): Promise<boolean> {
    const account = await (await this.db()).get('accounts', deviceId);
    if (!account) return false;
    await openRelayPage(`${account.relayOrigin}/security-info`);
    return true;
  }

  // ---- requests from the extension's pages ----

  async handle(request: RuntimeRequest): Promise<ResponseMap[RuntimeRequest['type']]> {
    switch (request.type) {
      case 'getState':
        return this.state();
      case 'getRequest': {
        const db = await this.db();
        const now = Date.now();
        const [pending, history, prefs, biometric, lock] = await Promise.all([
          db.get('pending', request.requestId),
          db.get('history', request.requestId),
          readPrefs(db),
          readBiometric(db),
          readLock(db),
        ]);
        const covered = pending && biometric?.wrappedKeys[pending.challenge.deviceId] !== undefined;
        const account = pending ? await db.get('accounts', pending.challenge.deviceId) : undefined;
        return {
          pending: pending ?? null,
          account: account ? { upn: account.upn, displayName: account.displayName, deviceName: account.deviceName } : null,
          history: history ?? null,
          pinRemembered: account ? isUnlockRemembered(now, account.deviceId) : false,
          rememberByDefault: prefs.rememberPin,
          pinAccount: account ? pinAccountOf(account, lock) : null,
          biometric: covered && biometric ? { credentialId: biometric.credentialId, prfSalt: biometric.prfSalt } : null,
        };
      }
      case 'decide':
        return decide(request, {
          db: await this.db(),
          effects: this.effects,
          recall: (deviceId, remember) => {
            const key = recallUnlock(deviceId, Date.now());
            if (!remember) forgetUnlock();
            return key;
          },
          connections: this.connections,
          waiters: this.waiters,
          readyTimeoutMs: READY_TIMEOUT_MS,
          resultTimeoutMs: RESULT_TIMEOUT_MS,
        });
      case 'setPrefs': {
        const db = await this.db();
        const prefs = await readPrefs(db);
        await db.put('settings', {
          ...prefs,
          autoOpen: request.autoOpen ?? prefs.autoOpen,
          rememberPin: request.rememberPin ?? prefs.rememberPin,
        });
        if (request.rememberPin === false) forgetUnlock();
        this.broadcast();
        return { ok: true };
      }
      case 'forgetPin':
        forgetUnlock();
        this.broadcast();
        return { ok: true };
      case 'pinUnlock': {
        const account = await this.pinAccountRecord(request.deviceId);
        if (!account) return { ok: false, code: 'unknown_account' };
        return this.pinRelay.unlock(account.relayOrigin, account.deviceId, request.blinded);
      }
      case 'pinNonce': {
        const account = await this.pinAccountRecord(request.deviceId);
        if (!account) return { ok: false, code: 'unknown_account' };
        const socket = await this.pinRelay.readySocket(account.relayOrigin, account.deviceId);
        return 'ok' in socket ? socket : { ok: true, nonce: socket.nonce };
      }
      case 'pinRekey': {
        const account = await this.pinAccountRecord(request.frame.deviceId);
        if (!account) return { ok: false, code: 'unknown_account' };
        return this.pinRelay.rekey(account.relayOrigin, request.nonce, request.frame);
      }
      case 'pinProof': {
        const account = await this.pinAccountRecord(request.frame.deviceId);
        return { ok: account !== null && this.pinRelay.sendProof(account.relayOrigin, request.nonce, request.frame) };
      }
      case 'pinStore': {
        // A new wrap means a new (or a newly confirmed) PIN: a key remembered for the old one is void.
        forgetUnlock(request.deviceId);
        return (await storePinWrap(await this.db(), request.deviceId, request.pinWrap))
          ? { ok: true }
          : { ok: false, code: 'unknown_account' };
      }
      case 'pinConfirmed': {
        const db = await this.db();
        const confirmed = await confirmPinWrap(db, request.deviceId);
        for (const requestId of confirmed.dropped) this.effects.challengeSettled(requestId, 'cancelled');
        const account = await db.get('accounts', request.deviceId);
        // A replaced entry must leave the socket too: the relay would go on sending its requests
        // there, and its cancels would settle the new entry's requests with the same id.
        if (confirmed.replaced.length > 0 && account) await this.connections.accountRemoved(account.relayOrigin);
        else if (confirmed.ok) await this.connections.sync();
        this.broadcast();
        return confirmed.ok ? { ok: true } : { ok: false, code: 'unknown_account' };
      }
      case 'pinReachability':
        return this.reachability();
      case 'redeemPairing':
        return redeemPairing(request.relayOrigin, request.body);
      case 'accountAdded': {
        const account = await (await this.db()).get('accounts', request.deviceId);
        if (!isActiveAccount(account)) return { ok: false, code: 'unknown_account' };
        await this.connections.accountAdded(account.relayOrigin);
        this.broadcast();
        const socket = await this.pinRelay.readySocket(account.relayOrigin, account.deviceId);
        return 'ok' in socket ? socket : { ok: true };
      }
      case 'pairingFailed': {
        const db = await this.db();
        const account = await db.get('accounts', request.deviceId);
        if (account && (await dropUnconfirmed(db, request.deviceId))) await this.connections.accountRemoved(account.relayOrigin);
        this.broadcast();
        return { ok: true };
      }
      case 'openApproval':
        await approvalWindow.open(request.requestId);
        return { ok: true };
      case 'closeApproval':
        return { close: await approvalWindow.mayClose(request.windowId, async () => (await this.db()).count('pending')) };
      case 'claimCode':
        return this.claimCode(request.code, request.deviceId);
      case 'openSecurityInfo':
        return (await this.openSecurityInfo(request.deviceId)) ? { ok: true } : { ok: false, code: 'unknown_account' };
      case 'removeAccount':
        return this.removeAccount(request.deviceId);
      case 'removeFromRelay': {
        const account = await this.pinAccountRecord(request.frame.deviceId);
        if (!account) return { ok: false, code: 'unknown_account' };
        return this.removals.send(account.relayOrigin, request.nonce, request.frame);
      }
      case 'removeWithBiometric': {
        const account = await this.pinAccountRecord(request.deviceId);
        if (!account) return { ok: false, code: 'unknown_account' };
        return this.removals.withPrf(await this.db(), account, request.prf);
      }
      case 'getBiometric':
        return biometricStatus(await this.db());
      case 'enableBiometric':
        return this.enableBiometric(request);
      case 'disableBiometric':
        await disableBiometric(await this.db());
        this.broadcast();
        return { ok: true };
    }
  }

  private async state(): Promise<AppState> {
    const db = await this.db();
    const now = Date.now();
    await sweepExpired(db, this.effects);
    const [lock, prefs, accounts, pending, history, notices] = await Promise.all([
      readLock(db),
      readPrefs(db),
      db.getAll('accounts'),
      db.getAll('pending'),
      newest(db, 'history'),
      newest(db, 'notices'),
    ]);
    const pinAccounts = accounts.flatMap((account) => pinAccountOf(account, lock) ?? []);
    const activity: ActivityItem[] = [
      ...history.map((entry) => ({ type: 'signin' as const, entry })),
      ...notices.map((entry) => ({ type: 'notice' as const, entry })),
    ];
    return {
      hasPin: pinAccounts.length > 0,
      pinAccounts,
      prefs: { autoOpen: prefs.autoOpen, rememberPin: prefs.rememberPin },
      // In the order they were added (ids are random, so the store's own order means nothing).
      accounts: [...accounts].sort(byAdded).map((account) => ({
        deviceId: account.deviceId,
        upn: account.upn,
        displayName: account.displayName,
        relayOrigin: account.relayOrigin,
        relayName: account.relayName,
        deviceName: account.deviceName,
        status: account.status,
        connection: account.status !== 'active' || account.authError ? 'error' : this.connections.state(account.relayOrigin),
        authError: account.status === 'active' ? (account.authError ?? null) : null,
        needsUpgrade: isActiveAccount(account) && account.wrappedKey !== undefined,
        pinLocked: isActiveAccount(account) && account.pinLocked === true,
      })),
      pending: pending.sort((a, b) => a.challenge.createdAt - b.challenge.createdAt),
      activity: activity.sort((a, b) => b.entry.at - a.entry.at).slice(0, ACTIVITY_LINES),
      pinRemembered: isUnlockRemembered(now),
    };
  }

  /**
   * Section 5: claims a typed sign-in code with the chosen account, or with each usable account in
   * turn (those whose relay is connected first), and opens the approval window on the request.
   */
  private async claimCode(code: string, deviceId: string | undefined): Promise<ResponseMap['claimCode']> {
    const usable = (await activeAccounts(await this.db())).filter(
      (account) => !account.authError && (deviceId === undefined || account.deviceId === deviceId),
    );
    if (usable.length === 0) return { ok: false, code: 'no_account' };
    const connected = (account: AccountRecord) => (this.connections.state(account.relayOrigin) === 'connected' ? 0 : 1);
    const result = await this.codeClaims.claim(
      code,
      usable.sort((a, b) => connected(a) - connected(b)),
    );
    log(`code claim: ${result.ok ? `request ${result.requestId}` : result.code}`);
    if (result.ok) await approvalWindow.open(result.requestId);
    return result;
  }

  /** An active, usable account by id (the PIN messages name accounts only by id). */
  private async pinAccountRecord(deviceId: string) {
    const account = await (await this.db()).get('accounts', deviceId);
    return isActiveAccount(account) ? account : null;
  }

  /** A page's wrapping key for "Remember my PIN" (lib/remember-channel.ts), kept in memory for 5 minutes. */
  /** A page paired an account (lib/new-account-channel.ts): store it, unconfirmed, and say so. */
  async storeNewAccount(data: unknown, reply: (message: NewAccountMessage) => void): Promise<void> {
    const account = readNewAccount(data);
    if (!account) return;
    let ok = true;
    try {
      await (await this.db()).put('accounts', account);
    } catch {
      ok = false;
    }
    reply({ kind: 'stored', deviceId: account.deviceId, ok });
  }

  async rememberHandover(data: unknown): Promise<void> {
    const handover = readHandover(data);
    if (!handover || !(await this.pinAccountRecord(handover.deviceId))) return;
    rememberUnlock(handover.deviceId, handover.key, Date.now());
    this.broadcast();
  }

  /** The relays (by name and origin) holding usable accounts whose socket does not become ready now. */
  private async reachability(): Promise<{ unreachable: string[] }> {
    const accounts = (await activeAccounts(await this.db())).filter((account) => !account.authError);
    const relays = new Map(accounts.map((account) => [account.relayOrigin, account.relayName]));
    const checks = await Promise.all(
      [...relays].map(async ([origin, name]) =>
        (await this.connections.for(origin).waitUntilReady(READY_TIMEOUT_MS)) ? null : `${name} (${origin})`,
      ),
    );
    return { unreachable: checks.filter((relay): relay is string => relay !== null) };
  }

  /** Biometric unlock: the page unlocked each account with the PIN and wrapped it under the PRF key; this stores it. */
  private async enableBiometric(request: Extract<RuntimeRequest, { type: 'enableBiometric' }>): Promise<ResponseMap['enableBiometric']> {
    const db = await this.db();
    await storeBiometric(db, {
      credentialId: request.credentialId,
      prfSalt: request.prfSalt,
      check: request.check,
      wrappedKeys: request.wrappedKeys,
      now: Date.now(),
    });
    this.broadcast();
    return { ok: true, status: await biometricStatus(db) };
  }

  /**
   * Forgets an account in this extension only (its pending requests go too): when its relay could
   * not be told (unreachable, PIN forgotten or locked), the relay still lists the authenticator
   * until it is removed on the security info page, and the popup says so.
   */
  private async removeAccount(deviceId: string): Promise<{ ok: true } | Failure> {
    const db = await this.db();
    const account = await db.get('accounts', deviceId);
    if (!account) return { ok: false, code: 'unknown_account' };
    for (const requestId of await removeAccount(db, deviceId)) this.effects.challengeSettled(requestId, 'cancelled');
    await this.connections.accountRemoved(account.relayOrigin);
    this.broadcast();
    return { ok: true };
  }

  async housekeeping(): Promise<void> {
    await pruneHistory(await this.db());
  }
}

const byAdded = (a: AccountRecord, b: AccountRecord) => a.createdAt - b.createdAt || a.deviceId.localeCompare(b.deviceId);

/** The newest entries of a store with a `byTime` index. */
async function newest<S extends 'history' | 'notices'>(db: Db, store: S): Promise<Array<CountersignDB[S]['value']>> {
  const tx = db.transaction(store);
  const entries: Array<CountersignDB[S]['value']> = [];
  let cursor = await tx.store.index('byTime').openCursor(null, 'prev');
  while (cursor && entries.length < ACTIVITY_LINES) {
    entries.push(cursor.value);
    cursor = await cursor.continue();
  }
  await tx.done;
  return entries;
}

/** What the PIN pages need of an account (null for one that cannot take a PIN). */
function pinAccountOf(account: AccountRecord, lock: LockRecord | undefined): PinAccount | null {
  if (!isActiveAccount(account)) return null;
  return {
    deviceId: account.deviceId,
    relayOrigin: account.relayOrigin,
    upn: account.upn,
    publicKey: account.publicKey,
    pinWrap: account.pinWrap ?? null,
    legacy: account.wrappedKey && lock ? { wrappedKey: account.wrappedKey, lock: { salt: lock.salt, iterations: lock.iterations } } : null,
    pinLocked: account.pinLocked === true,
  };
}
