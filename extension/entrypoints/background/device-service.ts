import { REDEEM_PAIRING_PATH } from '../../../protocol/paths.ts';
import { browser } from 'wxt/browser';
import {
  RedeemPairingResponse,
  connectStatement,
  decisionStatement,
  generateDeviceKeyPair,
  isMatchNumber,
  pairStatement,
  parse,
  parsePairingLink,
  signStatement,
  type ReadyMessage,
  type RelayToDeviceMessage,
} from '../../../protocol/index.ts';
import { openCountersignDb, pruneHistory, readLock, readPrefs, type AccountRecord, type Db, type HistoryOutcome } from '../../lib/db.ts';
import { deviceNameFrom } from '../../lib/device-name.ts';
import { handleRelayFrame, settle, sweepExpired, type FrameEffects } from '../../lib/frame-handler.ts';
import { accountKeyLabel, importConnectKey, signWithConnectKey, wrapSecret } from '../../lib/key-wrap.ts';
import { changePin, checkPin, pinStatus, setupPin, unwrapAccountKey, type PinCheck } from '../../lib/pin-lock.ts';
import { RelaySocket, type WebSocketLike } from '../../lib/relay-socket.ts';
import { CHANGED_BROADCAST, type AppState, type DecideResult, type ResponseMap, type RuntimeRequest } from '../../lib/runtime-messages.ts';
import { clearChallengeNotice, openApprovalWindow, setBadgeCount, showChallengeNotice } from './notices.ts';
import { forgetPin, recallPin, rememberPin } from './pin-cache.ts';

/**
 * The authenticator living in the service worker: accounts, relay sockets, challenges and
 * decisions. Stateless across worker restarts except for what IndexedDB and storage.session
 * hold, so a stopped worker picks up exactly where it was.
 */

const READY_TIMEOUT_MS = 10_000;
const RESULT_TIMEOUT_MS = 15_000;

function log(message: string, detail?: unknown): void {
  console.info(`[countersign] ${message}`, detail ?? '');
}

function cryptoRandom(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

export class DeviceService {
  private database: Promise<Db> | null = null;
  private readonly sockets = new Map<string, RelaySocket>();
  private readonly settleWaiters = new Map<string, (outcome: HistoryOutcome) => void>();
  private readonly expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();

  private readonly effects: FrameEffects = {
    now: () => Date.now(),
    challengeArrived: (pending) => {
      log(`challenge ${pending.requestId} for ${pending.challenge.account.upn}`);
      this.scheduleExpiry(pending.requestId, pending.challenge.expiresAt);
      void this.announce(pending.requestId).catch((error: unknown) => log('notice failed', error));
    },
    challengeSettled: (requestId, outcome) => {
      this.settleWaiters.get(requestId)?.(outcome);
      this.settleWaiters.delete(requestId);
      clearTimeout(this.expiryTimers.get(requestId));
      this.expiryTimers.delete(requestId);
      void clearChallengeNotice(requestId).catch(() => undefined);
      void this.refreshBadge();
      this.broadcast();
    },
    accountsChanged: () => {
      void this.syncConnections();
      this.broadcast();
    },
  };

  db(): Promise<Db> {
    this.database ??= openCountersignDb();
    return this.database;
  }

  /** Called on every worker start and by the watchdog alarm: idempotent. */
  async wake(): Promise<void> {
    const db = await this.db();
    await sweepExpired(db, this.effects);
    for (const pending of await db.getAll('pending')) this.scheduleExpiry(pending.requestId, pending.challenge.expiresAt);
    await this.syncConnections();
    await this.refreshBadge();
  }

  /** One socket per relay that has usable accounts; none for the others. */
  async syncConnections(): Promise<void> {
    const db = await this.db();
    const origins = new Set((await db.getAll('accounts')).filter((a) => !a.authError).map((a) => a.relayOrigin));
    for (const [origin, socket] of this.sockets) {
      if (!origins.has(origin)) {
        socket.stop();
        this.sockets.delete(origin);
      }
    }
    for (const origin of origins) this.socketFor(origin).ensure();
  }

  private socketFor(origin: string): RelaySocket {
    let socket = this.sockets.get(origin);
    if (socket) return socket;
    socket = new RelaySocket(origin, {
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      credentials: (nonce) => this.credentials(origin, nonce),
      onReady: (ready) => this.onReady(origin, ready),
      onFrame: (frame) => this.onFrame(origin, frame),
      onRefused: (code) => this.onRefused(origin, code),
      onStateChange: (state) => {
        log(`${origin} ${state}`);
        this.broadcast();
      },
      random: cryptoRandom,
      now: () => Date.now(),
      log: (message, detail) => log(`${origin}: ${message}`, detail),
    });
    this.sockets.set(origin, socket);
    return socket;
  }

  private async credentials(origin: string, nonce: string) {
    const db = await this.db();
    const accounts = (await db.getAllFromIndex('accounts', 'byRelay', origin)).filter((a) => !a.authError);
    return Promise.all(
      accounts.map(async (account) => ({
        deviceId: account.deviceId,
        signature: await signWithConnectKey(
          account.connectKey,
          connectStatement({ relayOrigin: origin, nonce, deviceId: account.deviceId }),
        ),
      })),
    );
  }

  private async onReady(origin: string, ready: ReadyMessage): Promise<void> {
    if (ready.rejected.length === 0) return;
    log(`${origin} refused ${ready.rejected.length} credential(s)`, ready.rejected);
    const db = await this.db();
    for (const { deviceId, code } of ready.rejected) {
      const account = await db.get('accounts', deviceId);
      if (account?.relayOrigin === origin) await db.put('accounts', { ...account, authError: code });
    }
    this.broadcast();
  }

  private async onRefused(origin: string, code: number): Promise<void> {
    const db = await this.db();
    for (const account of await db.getAllFromIndex('accounts', 'byRelay', origin)) {
      await db.put('accounts', { ...account, authError: account.authError ?? `closed_${code}` });
    }
    this.broadcast();
  }

  private async onFrame(origin: string, frame: RelayToDeviceMessage): Promise<void> {
    await handleRelayFrame(await this.db(), origin, frame, this.effects);
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
    await Promise.all([showChallengeNotice(pending), prefs.autoOpen ? openApprovalWindow(requestId) : undefined]);
  }

  async refreshBadge(): Promise<void> {
    const db = await this.db();
    await setBadgeCount(await db.count('pending')).catch(() => undefined);
  }

  broadcast(): void {
    browser.runtime.sendMessage(CHANGED_BROADCAST).catch(() => undefined);
  }

  // ---- requests from the extension's pages ----

  async handle(request: RuntimeRequest): Promise<ResponseMap[RuntimeRequest['type']]> {
    switch (request.type) {
      case 'getState':
        return this.state();
      case 'getRequest': {
        const db = await this.db();
        const now = Date.now();
        const [pending, history, remembered, status, prefs] = await Promise.all([
          db.get('pending', request.requestId),
          db.get('history', request.requestId),
          recallPin(now),
          pinStatus(db, now),
          readPrefs(db),
        ]);
        return {
          pending: pending ?? null,
          history: history ?? null,
          pinRemembered: remembered !== null,
          pinRetryAt: status.retryAt,
          rememberByDefault: prefs.rememberPin,
        };
      }
      case 'setupPin': {
        const result = await setupPin(await this.db(), request.pin);
        this.broadcast();
        return result === 'ok' ? { ok: true } : { ok: false, code: result };
      }
      case 'changePin': {
        const result = await changePin(await this.db(), request.oldPin, request.newPin, Date.now());
        if (result.ok) await forgetPin();
        return result.ok ? { ok: true } : failure(result);
      }
      case 'pair':
        return this.pair(request.link, request.pin);
      case 'decide':
        return this.decide(request);
      case 'setPrefs': {
        const db = await this.db();
        const prefs = await readPrefs(db);
        await db.put('settings', {
          ...prefs,
          autoOpen: request.autoOpen ?? prefs.autoOpen,
          rememberPin: request.rememberPin ?? prefs.rememberPin,
        });
        if (request.rememberPin === false) await forgetPin();
        this.broadcast();
        return { ok: true };
      }
      case 'forgetPin':
        await forgetPin();
        this.broadcast();
        return { ok: true };
      case 'openApproval':
        await openApprovalWindow(request.requestId);
        return { ok: true };
    }
  }

  private async state(): Promise<AppState> {
    const db = await this.db();
    const now = Date.now();
    await sweepExpired(db, this.effects);
    const [lock, prefs, accounts, pending, remembered, status] = await Promise.all([
      readLock(db),
      readPrefs(db),
      db.getAll('accounts'),
      db.getAll('pending'),
      recallPin(now),
      pinStatus(db, now),
    ]);
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
        connection: account.authError ? 'error' : (this.sockets.get(account.relayOrigin)?.state ?? 'idle'),
        authError: account.authError ?? null,
      })),
      pending: pending.sort((a, b) => a.challenge.createdAt - b.challenge.createdAt),
      pinRemembered: remembered !== null,
      pinRetryAt: status.retryAt,
    };
  }

  /** Checks the PIN given, or the remembered one; a wrong remembered PIN is forgotten. */
  private async unlock(pin: string | undefined, remember: boolean): Promise<PinCheck | { ok: false; code: 'pin_required' }> {
    const db = await this.db();
    const now = Date.now();
    const candidate = pin ?? (await recallPin(now));
    if (candidate === null) return { ok: false, code: 'pin_required' };
    const check = await checkPin(db, candidate, now);
    if (!check.ok) {
      if (pin === undefined) await forgetPin();
      return check;
    }
    if (pin !== undefined) await (remember ? rememberPin(pin, now) : forgetPin());
    return check;
  }

  private async pair(link: string, pin: string | undefined): Promise<ResponseMap['pair']> {
    const offer = parsePairingLink(link.trim());
    if (!offer) return { ok: false, code: 'invalid_link' };
    const unlocked = await this.unlock(pin, false);
    if (!unlocked.ok) return failure(unlocked);
    const { secretKey, publicKey } = generateDeviceKeyPair();
    try {
      const deviceName = deviceNameFrom(navigator as Navigator & { userAgentData?: never });
      const signature = signStatement(
        pairStatement({ relayOrigin: offer.relayOrigin, pairingToken: offer.token, publicKey, deviceName }),
        secretKey,
      );
      let response: Response;
      try {
        response = await fetch(`${offer.relayOrigin}${REDEEM_PAIRING_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: offer.token, publicKey, deviceName, signature }),
          credentials: 'omit',
        });
      } catch (error) {
        log('pairing request failed', error);
        return { ok: false, code: 'relay_unreachable' };
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.status !== 201) return { ok: false, code: errorCode(body) ?? `http_${response.status}` };
      const redeemed = parse(RedeemPairingResponse, body);
      if (!redeemed.ok) return { ok: false, code: 'bad_response' };
      const { deviceId, account, relay } = redeemed.value;
      const record: AccountRecord = {
        deviceId,
        relayOrigin: offer.relayOrigin,
        relayName: relay.name,
        userId: account.userId,
        upn: account.upn,
        displayName: account.displayName,
        deviceName,
        publicKey,
        wrappedKey: await wrapSecret(unlocked.key, secretKey, accountKeyLabel(publicKey)),
        connectKey: await importConnectKey(secretKey, publicKey),
        createdAt: Date.now(),
      };
      await (await this.db()).put('accounts', record);
      await this.syncConnections();
      this.sockets.get(offer.relayOrigin)?.retry();
      this.broadcast();
      return { ok: true, account: { upn: account.upn, displayName: account.displayName, relayOrigin: offer.relayOrigin, deviceName } };
    } finally {
      secretKey.fill(0);
    }
  }

  private async decide(request: Extract<RuntimeRequest, { type: 'decide' }>): Promise<DecideResult> {
    const db = await this.db();
    const pending = await db.get('pending', request.requestId);
    if (!pending) {
      const history = await db.get('history', request.requestId);
      return { ok: false, code: history ? `already_${history.outcome}` : 'not_pending' };
    }
    const { challenge } = pending;
    if (challenge.expiresAt <= Date.now()) {
      await settle(db, null, request.requestId, 'expired', null, this.effects);
      return { ok: true, outcome: 'expired' };
    }
    const number = request.decision === 'approve' ? request.number : '';
    if (request.decision === 'approve' && !isMatchNumber(number, challenge.match.digits)) {
      return { ok: false, code: 'invalid_number' };
    }
    const unlocked = await this.unlock(request.pin, request.remember);
    if (!unlocked.ok) return failure(unlocked);
    const account = await db.get('accounts', challenge.deviceId);
    if (!account) return { ok: false, code: 'unknown_account' };

    const socket = this.socketFor(account.relayOrigin);
    if (!(await socket.waitUntilReady(READY_TIMEOUT_MS))) return { ok: false, code: 'offline' };

    const secret = await unwrapAccountKey(unlocked.key, account);
    const signedAt = Date.now();
    let signature: string;
    try {
      signature = signStatement(
        decisionStatement({
          relayOrigin: account.relayOrigin,
          requestId: challenge.requestId,
          deviceId: account.deviceId,
          decision: request.decision,
          number,
          signedAt,
        }),
        secret,
      );
    } finally {
      secret.fill(0);
    }
    await db.put('pending', { ...pending, sentDecision: request.decision });
    const outcome = this.waitForSettle(challenge.requestId);
    const sent = socket.send({
      type: 'decision',
      requestId: challenge.requestId,
      deviceId: account.deviceId,
      decision: request.decision,
      number,
      signedAt,
      signature,
    });
    if (!sent) return { ok: false, code: 'offline' };
    const settled = await outcome;
    return settled ? { ok: true, outcome: settled } : { ok: false, code: 'no_answer' };
  }

  private waitForSettle(requestId: string): Promise<HistoryOutcome | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settleWaiters.delete(requestId);
        resolve(null);
      }, RESULT_TIMEOUT_MS);
      this.settleWaiters.set(requestId, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }

  async housekeeping(): Promise<void> {
    await pruneHistory(await this.db());
  }
}

function failure(result: { ok: false; code: string; retryAt?: number }): { ok: false; code: string; retryAt?: number } {
  return result.retryAt !== undefined ? { ok: false, code: result.code, retryAt: result.retryAt } : { ok: false, code: result.code };
}

function errorCode(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = (body as { error?: { code?: unknown } }).error;
  return typeof error?.code === 'string' ? error.code : null;
}
