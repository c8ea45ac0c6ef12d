import { browser } from 'wxt/browser';
import type { WebSocketLike } from '../../../protocol/device/index.ts';
import { openCountersignDb, pruneHistory, readLock, readPrefs, type CountersignDB, type Db } from '../../lib/db.ts';
import { DecisionWaiters, decide, type Unlocked } from '../../lib/decide.ts';
import { deviceNameFrom } from '../../lib/device-name.ts';
import { handleRelayFrame, removeAccount, sweepExpired, type FrameEffects } from '../../lib/frame-handler.ts';
import { pairAccount } from '../../lib/pair-account.ts';
import { changePin, checkPin, pinStatus, setupPin } from '../../lib/pin-lock.ts';
import { RelayConnections } from '../../lib/relay-connections.ts';
import { biometricStatus, decodePrfOutput, disableBiometric, enableBiometric, readBiometric } from '../../lib/webauthn-unlock.ts';
import {
  CHANGED_BROADCAST,
  type ActivityItem,
  type AppState,
  type Failure,
  type ResponseMap,
  type RuntimeRequest,
} from '../../lib/runtime-messages.ts';
import {
  announceChallenge,
  clearChallengeNotice,
  openApprovalWindow,
  openRelayPage,
  setBadgeCount,
  showAuthenticatorNotice,
} from './notices.ts';
import { forgetUnlock, isUnlockRemembered, recallUnlock, rememberUnlock } from './pin-cache.ts';

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
    noticeArrived: (notice) => {
      log(`notice ${notice.kind} for ${notice.upn}`);
      void showAuthenticatorNotice(notice).catch((error: unknown) => log('notice failed', error));
      this.broadcast();
    },
  };

  private readonly connections = new RelayConnections({
    db: () => this.db(),
    createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    handleFrame: async (origin, frame) => handleRelayFrame(await this.db(), origin, frame, this.effects),
    changed: () => this.broadcast(),
    random: cryptoRandom,
    now: () => Date.now(),
    log,
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
        const [pending, history, status, prefs, biometric] = await Promise.all([
          db.get('pending', request.requestId),
          db.get('history', request.requestId),
          pinStatus(db, now),
          readPrefs(db),
          readBiometric(db),
        ]);
        const covered = pending && biometric?.wrappedKeys[pending.challenge.deviceId] !== undefined;
        const account = pending ? await db.get('accounts', pending.challenge.deviceId) : undefined;
        return {
          pending: pending ?? null,
          account: account ? { upn: account.upn, displayName: account.displayName, deviceName: account.deviceName } : null,
          history: history ?? null,
          pinRemembered: isUnlockRemembered(now),
          pinRetryAt: status.retryAt,
          rememberByDefault: prefs.rememberPin,
          biometric: covered && biometric ? { credentialId: biometric.credentialId, prfSalt: biometric.prfSalt } : null,
        };
      }
      case 'setupPin': {
        const result = await setupPin(await this.db(), request.pin);
        this.broadcast();
        return result === 'ok' ? { ok: true } : { ok: false, code: result };
      }
      case 'changePin': {
        const result = await changePin(await this.db(), request.oldPin, request.newPin, Date.now());
        if (result.ok) forgetUnlock();
        return result.ok ? { ok: true } : failure(result);
      }
      case 'pair':
        return this.pair(request.link, request.pin, request.deviceName);
      case 'decide':
        return decide(request, {
          db: await this.db(),
          effects: this.effects,
          unlock: (pin, remember) => this.unlock(pin, remember),
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
      case 'openApproval':
        await openApprovalWindow(request.requestId);
        return { ok: true };
      case 'openSecurityInfo':
        return (await this.openSecurityInfo(request.deviceId)) ? { ok: true } : { ok: false, code: 'unknown_account' };
      case 'removeAccount':
        return this.removeAccount(request.deviceId);
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
    const [lock, prefs, accounts, pending, status, history, notices] = await Promise.all([
      readLock(db),
      readPrefs(db),
      db.getAll('accounts'),
      db.getAll('pending'),
      pinStatus(db, now),
      newest(db, 'history'),
      newest(db, 'notices'),
    ]);
    const activity: ActivityItem[] = [
      ...history.map((entry) => ({ type: 'signin' as const, entry })),
      ...notices.map((entry) => ({ type: 'notice' as const, entry })),
    ];
    return {
      hasPin: lock !== undefined,
      prefs: { autoOpen: prefs.autoOpen, rememberPin: prefs.rememberPin },
      accounts: accounts.map((account) => ({
        deviceId: account.deviceId,
        upn: account.upn,
        displayName: account.displayName,
        relayOrigin: account.relayOrigin,
        relayName: account.relayName,
        deviceName: account.deviceName,
        status: account.status,
        connection: account.status !== 'active' || account.authError ? 'error' : this.connections.state(account.relayOrigin),
        authError: account.status === 'active' ? (account.authError ?? null) : null,
      })),
      pending: pending.sort((a, b) => a.challenge.createdAt - b.challenge.createdAt),
      activity: activity.sort((a, b) => b.entry.at - a.entry.at).slice(0, ACTIVITY_LINES),
      pinRemembered: isUnlockRemembered(now),
      pinRetryAt: status.retryAt,
    };
  }

  /**
   * The PIN key for an approval or a pairing: from the PIN given (checked against the lock, with
   * the slow-down), or the one remembered in memory. `remember` says what to do with a PIN given:
   * keep it in memory for 5 minutes, forget any remembered one, or leave memory as it is.
   */
  private async unlock(pin: string | undefined, remember: boolean | 'unchanged'): Promise<Unlocked> {
    const db = await this.db();
    const now = Date.now();
    if (pin === undefined) {
      const key = recallUnlock(now, (await readLock(db))?.salt);
      if (!key) return { ok: false, code: 'pin_required' };
      // A slow-down started by someone typing wrong PINs holds for the remembered PIN too.
      const status = await pinStatus(db, now);
      if (status.retryAt !== null) return { ok: false, code: 'locked', retryAt: status.retryAt };
      return { ok: true, key };
    }
    const check = await checkPin(db, pin, now);
    if (!check.ok) return failure(check);
    if (remember === true) rememberUnlock(check.key, check.lock.salt, now);
    else if (remember === false) forgetUnlock();
    return { ok: true, key: check.key };
  }

  private async pair(link: string, pin: string | undefined, givenName: string | undefined): Promise<ResponseMap['pair']> {
    const result = await pairAccount({
      db: await this.db(),
      link,
      unlock: () => this.unlock(pin, 'unchanged'),
      deviceName: givenName?.trim() || deviceNameFrom(navigator),
      post: async (url, body) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          credentials: 'omit',
        });
        return { status: response.status, body: await response.json().catch(() => null) };
      },
      now: () => Date.now(),
    });
    if (!result.ok) {
      log(`pairing failed: ${result.code}`);
      return failure(result);
    }
    await this.connections.accountAdded(result.account.relayOrigin);
    this.broadcast();
    const { upn, displayName, relayOrigin, deviceName } = result.account;
    return { ok: true, account: { upn, displayName, relayOrigin, deviceName } };
  }

  /** Biometric unlock: the PIN (or the remembered one) once, to wrap each approval key again under the PRF key. */
  private async enableBiometric(request: Extract<RuntimeRequest, { type: 'enableBiometric' }>): Promise<ResponseMap['enableBiometric']> {
    const prfOutput = decodePrfOutput(request.prf);
    if (!prfOutput) return { ok: false, code: 'invalid_prf' };
    try {
      const unlocked = await this.unlock(request.pin, 'unchanged');
      if (!unlocked.ok) return failure(unlocked);
      const db = await this.db();
      await enableBiometric(db, {
        pinKey: unlocked.key,
        credentialId: request.credentialId,
        prfSalt: request.prfSalt,
        prfOutput,
        now: Date.now(),
      });
      this.broadcast();
      return { ok: true, status: await biometricStatus(db) };
    } finally {
      prfOutput.fill(0);
    }
  }

  /**
   * Removes an account from this extension (its pending requests go too). The relay still lists
   * the authenticator until it is removed on the security info page; the popup says so first.
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

/** A failure as the pages get it (without the slow-down's failure count). */
function failure(result: { ok: false; code: string; retryAt?: number }): Failure {
  return result.retryAt !== undefined ? { ok: false, code: result.code, retryAt: result.retryAt } : { ok: false, code: result.code };
}
