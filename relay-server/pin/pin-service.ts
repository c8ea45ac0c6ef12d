import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { randomId } from '../../protocol/encoding.ts';
import { LIMITS } from '../../protocol/limits.ts';
import type {
  ErrorMessage,
  NoticeKind,
  RekeyMessage,
  RekeyedMessage,
  UnlockedMessage,
  UnlockProofMessage,
} from '../../protocol/messages.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { newOprfSecretKey } from '../../protocol/pin-oprf.ts';
import type { DeviceAction } from '../../protocol/statements.ts';
import type { Clock } from '../clock.ts';
import type { Fanout } from '../hub/fanout.ts';
import type { PinSocket, PinHandlers } from '../hub/device-hub.ts';
import { acceptDeviceAction, releaseDeviceAction } from '../security/accept-device-action.ts';
import { InvalidElement, oprfEvaluator } from '../security/oprf-evaluate.ts';
import type { DecidingDevice } from '../hub/deciding-device.ts';
import type { PinAttemptRow } from '../store/pin-store.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { PinSealingKey } from './pin-sealing-key.ts';

export interface PinServiceDeps {
  store: Store;
  fanout: Fanout;
  clock: Clock;
  logger: Logger;
  relayOrigin: () => string;
  sealingKey: PinSealingKey;
  /** Tells the user's authenticators of a PIN failure or lock (devices/authenticator-notice.ts, wired in relay.ts). */
  noticeUser: (change: { userId: string; kind: NoticeKind; name: string; exceptDeviceId: string | null }) => Promise<void>;
}

/** Why an element was refused: the same code whatever was wrong with it (section 8). */
class RefusedElement extends Error {}

type Refusal = { code: ErrorCode; message: string };

/** What one counted step found: failures it made final, and whether it locked the PIN. */
interface Settled {
  failures: PinAttemptRow[];
  newlyLocked: boolean;
}

const MAX_FAILURES = LIMITS.pinFailuresBeforeLock;

/**
 * The relay's half of docs/protocol.md section 4a: one OPRF key per device, sealed at rest; every
 * evaluation (`unlock`, `rekey`) an attempt tied to its socket; proofs on that socket clear it;
 * anything unproven after 60 s or at the socket's close is a final failure; 10 failures in 30
 * days lock the PIN. Counts live in the database (store/pin-store.ts) so all instances share them.
 * Each failure is a row of the sign-in log and a `pin_failure` notice to every device of the
 * user, the lock a `pin_locked` one.
 */
export class PinService implements PinHandlers {
  constructor(private readonly deps: PinServiceDeps) {}

  /**
   * Pairing (section 3): a new OPRF key for a device about to exist, and its evaluation of
   * `pinBlinded`. Throws `InvalidElement` for a bad element, before anything is stored.
   */
  keyForNewDevice(deviceId: string, pinBlinded: string): { sealedKey: string; evaluated: string } {
    const secretKey = newOprfSecretKey();
    try {
      const evaluated = oprfEvaluator(secretKey).evaluate(pinBlinded);
      return { sealedKey: this.deps.sealingKey.seal(secretKey, deviceId), evaluated };
    } finally {
      secretKey.fill(0);
    }
  }

  async unlock(socket: PinSocket, device: DecidingDevice, blinded: string): Promise<UnlockedMessage | ErrorMessage> {
    const answer = await this.evaluate(socket, device, blinded, null);
    if ('code' in answer) return this.error(device.id, answer);
    return { type: 'unlocked', deviceId: device.id, evaluated: answer.evaluated, attemptsLeft: answer.attemptsLeft };
  }

  async rekey(socket: PinSocket, device: DecidingDevice, message: RekeyMessage): Promise<RekeyedMessage | ErrorMessage> {
    const refused = await this.checkAction(socket, device, 'rekey', message.blinded, message.signature);
    if (refused) return this.error(device.id, refused);
    const answer = await this.evaluate(socket, device, message.blinded, newOprfSecretKey());
    if ('code' in answer) {
      // A refused rekey may be sent again (signed anew): only an accepted one is used up.
      releaseDeviceAction(socket, device.id, 'rekey', message.blinded);
      return this.error(device.id, answer);
    }
    this.deps.logger.info({ event: 'pin.rekeyed', deviceId: device.id }, 'device PIN rekeyed');
    return { type: 'rekeyed', deviceId: device.id, evaluated: answer.evaluated };
  }

  async proof(socket: PinSocket, device: DecidingDevice, message: UnlockProofMessage): Promise<ErrorMessage | null> {
    const refused = await this.checkAction(socket, device, 'unlock-proof', message.blinded, message.signature);
    if (refused) return this.error(device.id, refused);
    // An attempt older than the proof window is a failure already (final), even before the next
    // unlock, decision or sweep marks and reports it: the proof leaves it alone.
    const madeAfter = this.deps.clock.now() - LIMITS.pinProofWindowMs;
    const proven = await this.deps.store.pin.prove(device.id, socket.id, message.blinded, madeAfter);
    if (!proven) {
      return this.error(device.id, {
        code: 'invalid_request',
        message: 'No open unlock on this connection names that element (already proven, too late, or made elsewhere).',
      });
    }
    return null;
  }

  /**
   * `approve` with unlock `pin` is refused once the device's PIN is locked (section 4a). Asked
   * only when a PIN approval's write landed nowhere (the write checks the same state itself):
   * settles the device's overdue attempts, which may be the failures that lock it.
   */
  async refusesPinApproval(deviceId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    // The common case is one indexed read; the transaction only when an attempt is overdue.
    const state = await this.deps.store.pin.approvalState(deviceId, now - LIMITS.pinProofWindowMs);
    if (state?.locked) return true;
    if (!state?.overdue) return false;
    const { settled, locked } = await this.deps.store.pin.withDevices([deviceId], async (trx) => {
      const settled = await this.settle(trx, deviceId, now);
      const key = await this.deps.store.pin.key(trx, deviceId);
      return { settled, locked: key?.locked_at != null };
    });
    await this.report(deviceId, settled);
    return locked;
  }

  /** The socket closed: its unproven attempts for the devices it accepted are failures (section 4a). */
  async socketClosed(socketId: string, deviceIds: readonly string[]): Promise<void> {
    const now = this.deps.clock.now();
    const failed = await this.deps.store.pin.failSocket(this.deps.store.db, socketId, deviceIds, now);
    await this.afterFailures(failed, now);
  }

  /**
   * Attempts nobody proved within 60 s, wherever they were made (an instance that died leaves
   * its sockets' attempts open; any instance's sweep ends them), and failures past the window.
   */
  async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    const failed = await this.deps.store.pin.failStale(this.deps.store.db, now, LIMITS.pinProofWindowMs);
    await this.afterFailures(failed, now);
    await this.deps.store.pin.forgetOldFailures(now - LIMITS.pinFailureWindowMs);
  }

  private async afterFailures(failed: PinAttemptRow[], now: number): Promise<void> {
    const byDevice = new Map<string, PinAttemptRow[]>();
    for (const row of failed) byDevice.set(row.device_id, [...(byDevice.get(row.device_id) ?? []), row]);
    for (const [deviceId, failures] of byDevice) {
      const newlyLocked = await this.deps.store.pin.withDevices([deviceId], (trx) => this.lockIfDue(trx, deviceId, now));
      await this.report(deviceId, { failures, newlyLocked });
    }
  }

  /**
   * The common `unlock`: one read and one conditional insert that counts atomically (on SQLite
   * and PostgreSQL alike), no transaction. Undefined when the counted transaction must run instead:
   * an attempt to settle first, no key yet (a revision-2 device), or the insert found the
   * attempts used up by a concurrent unlock meanwhile (the transaction counts again and refuses).
   */
  private async quickUnlock(
    socket: PinSocket,
    device: DecidingDevice,
    blinded: string,
  ): Promise<{ evaluated: string; attemptsLeft: number } | Refusal | undefined> {
    const { store, clock, sealingKey } = this.deps;
    const now = clock.now();
    const failuresSince = now - LIMITS.pinFailureWindowMs;
    const state = await store.pin.unlockState(device.id, failuresSince, now - LIMITS.pinProofWindowMs);
    if (!state || state.overdue) return undefined;
    if (state.locked) return LOCKED;
    if (MAX_FAILURES - state.failures - state.open <= 0) return NO_ATTEMPTS_LEFT;
    const secretKey = sealingKey.open(state.sealedKey, device.id);
    let evaluated: string;
    try {
      evaluated = oprfEvaluator(secretKey).evaluate(blinded);
    } catch (error) {
      if (error instanceof InvalidElement) return INVALID_ELEMENT;
      throw error;
    } finally {
      secretKey.fill(0);
    }
    const attempt = {
      id: randomId(),
      device_id: device.id,
      socket_id: socket.id,
      seq: socket.nextSeq(),
      blinded,
      ip: socket.ip,
      made_at: now,
    };
    const counted = await store.pin.addAttemptWithin(attempt, failuresSince, MAX_FAILURES);
    if (counted === null) return undefined;
    return { evaluated, attemptsLeft: MAX_FAILURES - counted };
  }

  /**
   * The counted part of `unlock` and `rekey`, in one transaction holding the device's row: end
   * stale attempts, refuse when locked or out of attempts, evaluate, record the attempt. With
   * `newKey`, the evaluation uses it and it replaces the device's key (a rekey).
   */
  private async evaluate(
    socket: PinSocket,
    device: DecidingDevice,
    blinded: string,
    newKey: Uint8Array | null,
  ): Promise<{ evaluated: string; attemptsLeft: number } | Refusal> {
    if (newKey === null) {
      const quick = await this.quickUnlock(socket, device, blinded);
      if (quick !== undefined) return quick;
    }
    const { store, clock, sealingKey } = this.deps;
    const now = clock.now();
    const seq = socket.nextSeq();
    let result: { evaluated: string; attemptsLeft: number } | Refusal;
    let settled: Settled = { failures: [], newlyLocked: false };
    try {
      result = await store.pin.withDevices([device.id], async (trx) => {
        settled = await this.settle(trx, device.id, now);
        const row = await store.pin.key(trx, device.id);
        if (row?.locked_at != null) return LOCKED;
        const { failures, open } = await store.pin.counts(trx, device.id, now - LIMITS.pinFailureWindowMs);
        if (MAX_FAILURES - failures - open <= 0) return NO_ATTEMPTS_LEFT;
        // A revision-2 device has no key until its first unlock (section 4a): make it now.
        const secretKey = newKey ?? (row ? sealingKey.open(row.sealed_key, device.id) : newOprfSecretKey());
        let evaluated: string;
        try {
          evaluated = oprfEvaluator(secretKey).evaluate(blinded);
          if (newKey || !row) await store.pin.putKey(trx, device.id, sealingKey.seal(secretKey, device.id), now);
        } catch (error) {
          if (error instanceof InvalidElement) throw new RefusedElement();
          throw error;
        } finally {
          secretKey.fill(0);
        }
        await store.pin.addAttempt(trx, {
          id: randomId(),
          device_id: device.id,
          socket_id: socket.id,
          seq,
          blinded,
          ip: socket.ip,
          made_at: now,
        });
        return { evaluated, attemptsLeft: MAX_FAILURES - failures - open - 1 };
      });
    } catch (error) {
      if (!(error instanceof RefusedElement)) throw error;
      // The transaction rolled back: nothing changed, no attempt counted.
      return INVALID_ELEMENT;
    }
    await this.report(device.id, settled);
    if (settled.newlyLocked) return LOCKED;
    return result;
  }

  /** Inside a device's transaction: ends its stale attempts and locks the PIN if that made 10. */
  private async settle(trx: Transaction<Database>, deviceId: string, now: number): Promise<Settled> {
    const failures = await this.deps.store.pin.failStale(trx, now, LIMITS.pinProofWindowMs, deviceId);
    const newlyLocked = failures.length > 0 && (await this.lockIfDue(trx, deviceId, now));
    return { failures, newlyLocked };
  }

  private async lockIfDue(trx: Transaction<Database>, deviceId: string, now: number): Promise<boolean> {
    const { failures } = await this.deps.store.pin.counts(trx, deviceId, now - LIMITS.pinFailureWindowMs);
    return failures >= MAX_FAILURES && (await this.deps.store.pin.lock(trx, deviceId, now));
  }

  /** Each new failure (and a new lock): a row of the sign-in log and a notice to every device of the user. */
  private async report(deviceId: string, settled: Settled): Promise<void> {
    if (settled.failures.length === 0 && !settled.newlyLocked) return;
    const { store, clock } = this.deps;
    const device = await store.devices.byId(deviceId);
    if (!device) return;
    const user = await store.users.byId(device.user_id);
    const log = async (reason: 'pin_failure' | 'pin_locked', ip: string, at: number) => {
      await store.signins.insert({
        id: randomId(),
        user_id: device.user_id,
        upn: user?.upn ?? '',
        app_id: null,
        app_name: null,
        ip,
        client_key: ip,
        location: null,
        browser: 'Authenticator',
        os: '',
        method: 'pin_unlock',
        number: null,
        match_mode: null,
        digits: null,
        choices: null,
        browser_token_hash: null,
        status: 'denied',
        reason,
        device_id: deviceId,
        created_at: at,
        expires_at: at,
        decided_at: at,
        completed_at: null,
      });
    };
    const notify = (kind: NoticeKind) => this.deps.noticeUser({ userId: device.user_id, kind, name: device.name, exceptDeviceId: null });
    for (const failure of settled.failures) {
      this.deps.logger.warn({ event: 'pin.failure', deviceId, ip: failure.ip }, 'PIN attempt failed');
      await log('pin_failure', failure.ip, failure.failed_at ?? clock.now());
      await notify('pin_failure');
    }
    if (settled.newlyLocked) {
      this.deps.logger.warn({ event: 'pin.locked', deviceId }, 'device PIN locked');
      await log('pin_locked', settled.failures.at(-1)?.ip ?? '', clock.now());
      await notify('pin_locked');
    }
  }

  /** Checks a `device-action` (approval key, this socket's nonce) and that it was not accepted before. */
  private checkAction(
    socket: PinSocket,
    device: DecidingDevice,
    action: DeviceAction,
    detail: string,
    signature: string,
  ): Promise<Refusal | null> {
    const { relayOrigin } = this.deps;
    return acceptDeviceAction({
      relayOrigin: relayOrigin(),
      socket,
      deviceId: device.id,
      approvalKey: device.approvalKey,
      action,
      detail,
      signature,
    });
  }

  private error(deviceId: string, refusal: Refusal): ErrorMessage {
    return { type: 'error', code: refusal.code, message: refusal.message, deviceId };
  }
}

const LOCKED: Refusal = {
  code: 'pin_locked',
  message: 'This PIN is locked after 10 failed attempts; approve with WebAuthn, or add the account again.',
};

const NO_ATTEMPTS_LEFT: Refusal = {
  code: 'pin_attempts',
  message: 'No PIN attempts are left until the open ones are confirmed or count as failures (60 s).',
};

const INVALID_ELEMENT: Refusal = { code: 'invalid_request', message: 'blinded is invalid: not a valid P-256 element' };
