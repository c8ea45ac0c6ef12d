import { randomId, randomInt } from '../../protocol/encoding.ts';
import type {
  CancelReason,
  ClaimMessage,
  CreateCodeSigninResponse,
  CreateSigninResponse,
  RelayToDeviceMessage,
  DecisionMessage,
  ResultMessage,
  SigninStatus,
  SigninStatusResponse,
} from '../../protocol/messages.ts';
import { SIGNIN_CODE_DIGITS, matchChoices, randomMatchNumber } from '../../protocol/number-match.ts';
import { decisionStatement } from '../../protocol/statements.ts';
import type { RefusalReason } from '../../protocol/signin-reasons.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { ApiError, rateLimited, secondsUntil, tryAgainIn } from '../api-error.ts';
import type { Clock } from '../clock.ts';
import type { Fanout } from '../hub/fanout.ts';
import { allowsFlow, isTargeted, targetsByGroup, type PushFlow } from '../policy/evaluate-policy.ts';
import { hashSecret, matchesDigest } from '../security/secrets.ts';
import { PasswordThrottle, type ThrottleScope } from '../security/password-throttle.ts';
import { FamiliarBrowsers, familiarIdOf } from '../store/familiar-browsers-store.ts';
import { relaySecret } from '../store/relay-secrets.ts';
import { verifyDeviceSignatureOffThread } from '../security/verify-signature.ts';
import type { SigninRow, UserRow } from '../store/schema.ts';
import type { SettledRequest } from '../store/signins-store.ts';
import type { Store } from '../store/store.ts';
import type { PushTarget } from '../store/users-store.ts';
import { challengeMessage } from './challenge-message.ts';
import type { LocateIp } from './locate-ip.ts';
import type { CountedContext, RequestContext } from '../http/request-context.ts';
import type { SecurityEventSink } from '../ops/security-events.ts';
import { LAST_USED_RESOLUTION_MS, decisionKey, type DecidingDevice } from '../hub/deciding-device.ts';
import { amrFor } from './amr.ts';
import { checkFirstFactor, type LoggedAttempt } from './first-factor.ts';
import { PushBlockedError, WHAT_WORKS, unfamiliarPaused } from './push-blocked.ts';
import type { RelayMetrics } from '../ops/metrics.ts';
import { retryWhileDatabaseUnavailable } from '../store/database-unavailable.ts';

const PUSH_BUDGET_WINDOW_MS = 10 * 60_000;
/** The window of `maxUnfamiliarPushesPerHour` and of each unfamiliar client's share of it. */
const HOUR_MS = 3_600_000;

/** An unfamiliar client's share of `maxUnfamiliarPushesPerHour` (docs/protocol.md section 5): a quarter, at least 1. */
export function unfamiliarClientShare(maxUnfamiliarPushesPerHour: number): number {
  return Math.max(1, Math.floor(maxUnfamiliarPushesPerHour / 4));
}

/** What a device (and the sign-in log) shows as the app of a step-up push. */
export const STEP_UP_APP_NAME = 'Security info: add an authenticator';

/** How a request is asked for: a push to every device (with a number to match), or a code the person types into one. */
export type SigninBy = 'push' | 'code';

/** Whether a device's PIN may approve, once its unproven attempts are settled (pin/pin-service.ts). */
export interface PinApprovals {
  refusesPinApproval(deviceId: string): Promise<boolean>;
}

export interface SigninServiceDeps {
  store: Store;
  fanout: Fanout;
  clock: Clock;
  relayOrigin: () => string;
  locate: LocateIp;
  onSecurityEvent: SecurityEventSink;
  pinApprovals: PinApprovals;
  metrics?: RelayMetrics;
}

/** Sign-in requests from creation to session: docs/protocol.md sections 4 (decisions) and 5. */
export class SigninService {
  /** Shared by the API's password path and the password page. */
  readonly passwordThrottle: PasswordThrottle;
  /** Browsers users signed in from: each is a client of its own, never refused for what others did. */
  readonly familiar: FamiliarBrowsers;
  /** Unknown codes each device sent this hour (section 5: at most 10). */
  private readonly unknownCodes = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly deps: SigninServiceDeps) {
    this.passwordThrottle = new PasswordThrottle(() => deps.clock.now());
    this.familiar = new FamiliarBrowsers({
      db: deps.store.db,
      loadKey: () => relaySecret(deps.store.db, 'familiar-browser-key'),
      now: () => deps.clock.now(),
    });
  }

  /** Where an IP is, as the challenge and the sign-in log show it. */
  locate(ip: string): string | null {
    return this.deps.locate(ip);
  }

  /**
   * The client a request counts as for `userId`: its familiar-browser cookie when that is one of
   * the user's (section 1: a familiar browser is its cookie, in every rule), else its address.
   */
  async counted(context: RequestContext, userId: string | undefined): Promise<CountedContext> {
    if (userId === undefined || context.familiar === undefined) return { ...context, isFamiliar: false };
    const familiar = await this.familiar.resolve(context.familiar, context.clientKey, userId);
    return familiar ? { ...context, clientKey: familiar.clientKey, isFamiliar: true } : { ...context, isFamiliar: false };
  }

  /** `POST /api/v1/signins`: passwordless, or push after the password given here; or a sign-in by code. */
  async create(input: {
    upn: string;
    app?: string | undefined;
    password?: string | undefined;
    by?: SigninBy | undefined;
    context: RequestContext;
  }): Promise<CreateSigninResponse | CreateCodeSigninResponse> {
    const appLabel = await this.appLabel(input.app);
    const { users } = this.deps.store;
    let context: CountedContext = { ...input.context, isFamiliar: false };
    let target: PushTarget | undefined;
    if (input.context.familiar === undefined) {
      // The common case, no familiar cookie: the user and the limits in one query.
      target = await users.pushTarget({ upn: input.upn }, this.windows(), context.clientKey);
    } else {
      const user = await users.byUpn(input.upn);
      context = await this.counted(input.context, user?.id);
      target = user ? await users.pushTarget({ id: user.id }, this.windows(), context.clientKey) : undefined;
    }
    if (input.password === undefined) return this.openRequest(target, 'passwordless', input.app, appLabel, context, input.by ?? 'push');
    const app = this.appFor(input.app, appLabel);
    const factor = await checkFirstFactor(
      { store: this.deps.store, clock: this.deps.clock, throttle: this.passwordThrottle, log: (entry) => this.logAttempt(entry) },
      { upn: input.upn, secret: input.password, user: target?.user, app, context },
    );
    if (factor.kind === 'tap') return this.tapSignin(target!.user, app, context);
    if (factor.kind === 'throttled') throw passwordThrottled(factor.retryAfterMs, factor.scope);
    if (factor.kind === 'invalid') throw new ApiError(401, 'invalid_credentials', 'The username or password is incorrect.');
    return this.openRequest(target, 'push_after_password', input.app, appLabel, context, input.by ?? 'push');
  }

  /**
   * A Temporary Access Pass given as the API's `password`: the request is made already approved,
   * pushes nothing and counts against no push limit, and its browser token turns it into a session
   * with amr `["otp"]` (`complete`), as the password page's TAP sign-in does. The answer has the
   * usual shape; its `number` matches nothing (no device is asked), and the status is `approved`
   * from the start. The row is the TAP sign-in's line in the sign-in log.
   */
  private async tapSignin(
    user: Pick<UserRow, 'id' | 'upn'>,
    app: { id: string; name: string } | undefined,
    context: CountedContext,
  ): Promise<CreateSigninResponse> {
    const { store, clock } = this.deps;
    const policy = await store.policy.current();
    const now = clock.now();
    const browserToken = randomId();
    const digits = policy.match.digits;
    const number = randomMatchNumber(digits);
    const row: SigninRow = {
      id: randomId(),
      user_id: user.id,
      upn: user.upn,
      app_id: app?.id ?? null,
      app_name: app?.name ?? null,
      ip: context.ip,
      client_key: context.clientKey,
      location: this.deps.locate(context.ip),
      browser: context.browser,
      os: context.os,
      method: 'tap',
      number: null,
      match_mode: null,
      digits: null,
      choices: null,
      browser_token_hash: hashSecret(browserToken),
      status: 'approved',
      reason: null,
      device_id: null,
      created_at: now,
      expires_at: now + policy.requestTtlSeconds * 1000,
      decided_at: now,
      completed_at: null,
      unlock: null,
      pending_slot: null,
    };
    await store.signins.insert(row);
    // A successful sign-in resets this client's failed-push count (docs/protocol.md section 6).
    await store.users.recordSuccess(user.id, context.clientKey);
    return { requestId: row.id, number, digits, expiresAt: row.expires_at, browserToken };
  }

  /**
   * A refused or failed attempt, or a password or TAP sign-in, as a row of the sign-in log, stored
   * already decided. Refused (throttled) attempts are logged once per window per client and name
   * (PasswordThrottle.shouldLogThrottled), so floods, unknown names included, stay bounded.
   */
  async logAttempt(entry: LoggedAttempt): Promise<void> {
    const now = this.deps.clock.now();
    const approved = entry.outcome === 'approved';
    await this.deps.store.signins.insert({
      id: randomId(),
      user_id: entry.userId,
      upn: entry.upn,
      app_id: entry.app?.id ?? null,
      app_name: entry.app?.name ?? null,
      ip: entry.context.ip,
      client_key: entry.context.clientKey,
      location: this.deps.locate(entry.context.ip),
      browser: entry.context.browser,
      os: entry.context.os,
      method: entry.method,
      number: null,
      match_mode: null,
      digits: null,
      choices: null,
      browser_token_hash: null,
      status: approved ? 'approved' : 'denied',
      reason: approved ? null : entry.outcome,
      device_id: null,
      created_at: now,
      expires_at: now,
      decided_at: now,
      completed_at: approved ? now : null,
    });
  }

  private appFor(appId: string | undefined, label: string | null): { id: string; name: string } | undefined {
    return appId !== undefined && label !== null ? { id: appId, name: label } : undefined;
  }

  /** The push after a password the caller (the password page) has already checked. */
  async createAfterPassword(input: { user: UserRow; app?: string; context: CountedContext }): Promise<CreateSigninResponse> {
    const appLabel = await this.appLabel(input.app);
    const target = await this.deps.store.users.pushTarget({ id: input.user.id }, this.windows(), input.context.clientKey);
    return this.openPush(target, 'push_after_password', input.app, appLabel, input.context);
  }

  /**
   * A push that upgrades a signed-in user's session: adding another authenticator after a
   * password sign-in needs an approval on one they have (the completed request's `amr` then has
   * `swk`). The policy still decides whether the user gets pushes at all.
   */
  async createStepUp(input: { user: UserRow; context: RequestContext }): Promise<CreateSigninResponse> {
    const context = await this.counted(input.context, input.user.id);
    const target = await this.deps.store.users.pushTarget({ id: input.user.id }, this.windows(), context.clientKey);
    const policy = await this.deps.store.policy.current();
    // The session's password counts as the first factor when the policy has that flow.
    const flow: PushFlow = allowsFlow(policy, 'push_after_password') ? 'push_after_password' : 'passwordless';
    return this.openPush(target, flow, undefined, STEP_UP_APP_NAME, context);
  }

  private windows(): { since: number; hourSince: number } {
    const now = this.deps.clock.now();
    return { since: now - PUSH_BUDGET_WINDOW_MS, hourSince: now - HOUR_MS };
  }

  /** docs/protocol.md section 5: `app` is a registered app's client id; its name is what devices and the log show. */
  private async appLabel(appId: string | undefined): Promise<string | null> {
    if (appId === undefined) return null;
    const app = await this.deps.store.apps.byClientId(appId);
    if (!app) throw new ApiError(400, 'invalid_request', 'app is invalid: not an app registered on this relay');
    return app.name;
  }

  private async openPush(
    target: PushTarget | undefined,
    flow: PushFlow,
    appId: string | undefined,
    appLabel: string | null,
    context: CountedContext,
  ): Promise<CreateSigninResponse> {
    return (await this.openRequest(target, flow, appId, appLabel, context, 'push')) as CreateSigninResponse;
  }

  /**
   * Opens a push, or a sign-in by code, under the limits of docs/protocol.md section 5. Limits per
   * client (this client's failure lock and 10-minute budget, one pending request) hold for every
   * client, a familiar browser being a client of its own; the per-user caps behind them (a
   * report's pause, the hourly push cap and each client's share of it, the three pending slots)
   * count and refuse unfamiliar clients only, and a sign-in by code, which pushes nothing, is
   * outside them.
   */
  private async openRequest(
    target: PushTarget | undefined,
    flow: PushFlow,
    appId: string | undefined,
    appLabel: string | null,
    context: CountedContext,
    by: SigninBy,
  ): Promise<CreateSigninResponse | CreateCodeSigninResponse> {
    const { store, clock } = this.deps;
    const policy = await store.policy.current();
    // Built only when thrown: an Error captures a stack trace, too dear for every sign-in.
    const noPushMethod = () => new ApiError(422, 'no_push_method', 'No push sign-in is available for this account.');
    if (!target) throw noPushMethod();
    const { user, deviceIds } = target;
    const groups = targetsByGroup(policy) ? await store.users.groupsOf(user.id) : [];
    if (!isTargeted(policy, groups) || !allowsFlow(policy, flow)) throw noPushMethod();
    if (deviceIds.length === 0) throw noPushMethod();

    const now = clock.now();
    // The log names the cause (protocol/signin-reasons.ts); the answer stays generic for strangers.
    const refuse = async (reason: RefusalReason, error: ApiError): Promise<never> => {
      if (this.passwordThrottle.shouldLogThrottled(user.upn, context.clientKey, 'push')) {
        await this.logAttempt({
          upn: user.upn,
          userId: user.id,
          method: flow,
          app: this.appFor(appId, appLabel),
          context,
          outcome: reason,
        });
      }
      throw error;
    };
    // Per client, every client (section 6: failures and the budget count per user and client).
    if (target.clientLockedUntil !== null && target.clientLockedUntil > now) {
      await refuse(
        'client_locked',
        rateLimited(
          `Sign-in requests from here are paused for this account because too many were denied or went unanswered; ${WHAT_WORKS}`,
          secondsUntil(target.clientLockedUntil, now),
        ),
      );
    }
    if (target.clientPushes >= policy.maxPushesPer10Min) {
      await refuse(
        'push_budget',
        rateLimited(
          `Too many sign-in requests from here for this account lately; ${WHAT_WORKS}`,
          await this.budgetRetry(user.id, { clientKey: context.clientKey }, PUSH_BUDGET_WINDOW_MS, now),
        ),
      );
    }
    const unfamiliarPush = by === 'push' && !context.isFamiliar;
    if (unfamiliarPush) {
      if (user.push_blocked) await refuse('push_blocked', new PushBlockedError());
      if (target.clientHourPushes >= unfamiliarClientShare(policy.maxUnfamiliarPushesPerHour)) {
        await refuse(
          'unfamiliar_cap',
          unfamiliarPaused(await this.budgetRetry(user.id, { clientKey: context.clientKey, pushesOnly: true }, HOUR_MS, now)),
        );
      }
      if (target.unfamiliarHourPushes >= policy.maxUnfamiliarPushesPerHour) {
        await refuse(
          'unfamiliar_cap',
          unfamiliarPaused(await this.budgetRetry(user.id, { unfamiliarOnly: true, pushesOnly: true }, HOUR_MS, now)),
        );
      }
    }

    const browserToken = randomId();
    const digits = by === 'code' ? SIGNIN_CODE_DIGITS : policy.match.digits;
    const number = by === 'code' ? randomSigninCode() : randomMatchNumber(digits);
    const matchMode = by === 'code' ? 'code' : policy.match.mode;
    const row: SigninRow = {
      id: randomId(),
      user_id: user.id,
      upn: user.upn,
      app_id: appId ?? null,
      app_name: appLabel,
      ip: context.ip,
      client_key: context.clientKey,
      location: this.deps.locate(context.ip),
      browser: context.browser,
      os: context.os,
      method: flow,
      number,
      match_mode: matchMode,
      digits,
      choices: matchMode === 'choose' ? JSON.stringify(matchChoices(number, digits)) : null,
      browser_token_hash: hashSecret(browserToken),
      status: 'pending',
      reason: null,
      device_id: null,
      created_at: now,
      expires_at: now + policy.requestTtlSeconds * 1000,
      decided_at: null,
      completed_at: null,
      unlock: null,
      pending_slot: null,
    };
    // Only unfamiliar pushes take one of the user's three slots; the rest are one per client.
    let opened = await store.signins.openRequest({ ...row, user_id: user.id }, unfamiliarPush);
    // Slots held by requests whose time is up (the sweeper has not run yet) are freed first.
    if (!opened.opened && opened.pending.some((request) => request.expires_at <= now)) {
      await this.expireDue();
      opened = await store.signins.openRequest({ ...row, user_id: user.id }, unfamiliarPush);
    }
    if (!opened.opened) {
      const firstEnds = Math.min(...opened.pending.map((request) => request.expires_at));
      return refuse('unfamiliar_cap', unfamiliarPaused(secondsUntil(firstEnds, now)));
    }
    for (const older of opened.superseded) this.announceSettled(older, 'superseded', null);
    this.deps.metrics?.signins.inc();
    if (by === 'code') return { requestId: row.id, code: number, expiresAt: row.expires_at, browserToken };
    for (const deviceId of deviceIds) this.deps.fanout.sendToDevice(deviceId, challengeMessage(row, deviceId, user, policy));
    this.deps.metrics?.pushes.inc(deviceIds.length);
    return { requestId: row.id, number, digits, expiresAt: row.expires_at, browserToken };
  }

  /** Seconds until the oldest request counted against a cap leaves its window. */
  private async budgetRetry(
    userId: string,
    which: { clientKey?: string; unfamiliarOnly?: boolean; pushesOnly?: boolean },
    windowMs: number,
    now: number,
  ): Promise<number> {
    const oldest = await this.deps.store.signins.oldestPushSince(userId, which, now - windowMs);
    return secondsUntil((oldest ?? now) + windowMs, now);
  }

  /**
   * A device's `claim` (section 5): the person typed a sign-in code into it. The device gets the
   * request's challenge (match mode `code`) when the code is a pending sign-in by code of a user
   * the device belongs to; otherwise `error`, and each unknown code counts against the device's
   * 10 an hour. No one but a device of that user can reach the request, so nothing a stranger
   * does uses a code up.
   */
  async claim(device: { id: string; userId: string }, message: ClaimMessage): Promise<RelayToDeviceMessage> {
    const now = this.deps.clock.now();
    let spent = this.unknownCodes.get(device.id);
    if (spent && spent.endsAt <= now) {
      this.unknownCodes.delete(device.id);
      spent = undefined;
    }
    if (spent && spent.count >= LIMITS.unknownCodesPerHour) {
      return {
        type: 'error',
        code: 'rate_limited',
        message: `Too many unknown codes from this authenticator. ${tryAgainIn(secondsUntil(spent.endsAt, now))}`,
        deviceId: device.id,
      };
    }
    const row = await this.deps.store.signins.pendingCode(device.userId, message.code, now);
    const user = row ? await this.deps.store.users.byId(device.userId) : undefined;
    if (!row || !user) {
      if (spent) spent.count += 1;
      else {
        if (this.unknownCodes.size >= 100_000)
          for (const [id, entry] of this.unknownCodes) if (entry.endsAt <= now) this.unknownCodes.delete(id);
        this.unknownCodes.set(device.id, { count: 1, endsAt: now + HOUR_MS });
      }
      return {
        type: 'error',
        code: 'not_found',
        message: 'No sign-in is waiting for this code. Check the code on the sign-in page.',
        deviceId: device.id,
      };
    }
    return challengeMessage(row, device.id, user, await this.deps.store.policy.current());
  }

  /**
   * Applies a device's signed decision; the answer is the `result` for that device. The common
   * case is one write: the signature is checked with the key the socket already holds (on the
   * thread pool, so the event loop goes on meanwhile: +5 % sign-ins/s in `npm run bench`), and the
   * write itself checks the request (pending, unexpired, this user's) and that the device still
   * exists. Only when it lands nowhere does a read find out why. Which key may sign depends on
   * the decision and its `unlock` (section 2, `decisionKey`): an `approve` only by the approval key.
   */
  async decide(device: DecidingDevice, decision: DecisionMessage): Promise<ResultMessage> {
    const { store, clock } = this.deps;
    const result = (outcome: ResultMessage['outcome'], code?: string): ResultMessage =>
      code === undefined
        ? { type: 'result', requestId: decision.requestId, outcome }
        : { type: 'result', requestId: decision.requestId, outcome, code };
    // An approve with unlock `none` has no key that may sign it (and no statement to build).
    const key = decisionKey(device, decision.decision, decision.unlock);
    if (!key) return result('rejected', 'bad_signature');
    const statement = decisionStatement({
      relayOrigin: this.deps.relayOrigin(),
      requestId: decision.requestId,
      deviceId: device.id,
      decision: decision.decision,
      number: decision.number,
      signedAt: decision.signedAt,
      unlock: decision.unlock,
    });
    if (!(await verifyDeviceSignatureOffThread(statement, decision.signature, key))) return result('rejected', 'bad_signature');
    const now = clock.now();
    if (Math.abs(decision.signedAt - now) > LIMITS.maxClockSkewMs) return result('rejected', 'clock_skew');
    if (decision.decision !== 'approve' && decision.number !== '') return result('rejected', 'invalid_request');

    const apply = () =>
      store.signins.applyDecision({
        requestId: decision.requestId,
        deviceId: device.id,
        userId: device.userId,
        decision: decision.decision,
        number: decision.number,
        unlock: decision.unlock,
        now,
        pinAttemptsDueBy: now - LIMITS.pinProofWindowMs,
      });
    let settled = await apply();
    if (!settled && decision.decision === 'approve' && decision.unlock === 'pin') {
      // The write refuses a PIN approval while the PIN is locked or an unproven attempt is overdue
      // (section 4a). Settling the overdue ones tells which; if the PIN is still usable, once more.
      if (await this.deps.pinApprovals.refusesPinApproval(device.id)) return result('rejected', 'pin_locked');
      settled = await apply();
    }
    if (!settled) return result(...(await this.whyNotApplied(device, decision.requestId, now)));
    const { user_failures: userFailures, ...row } = settled;
    // applyDecision writes only these.
    const status = row.status as 'approved' | 'wrong_number' | 'denied' | 'reported';
    this.deps.metrics?.decisions.inc({ outcome: status });
    this.deps.metrics?.roundTrip.observe(Math.max(0, now - row.created_at) / 1000);
    // Settled: what follows must not cost the device its answer when the database blinks.
    if (now - device.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      device.lastUsedAt = now;
      await retryWhileDatabaseUnavailable(() => store.devices.touch(device.id, now));
    }
    if (status !== 'approved' || Number(userFailures) > 0) await retryWhileDatabaseUnavailable(() => this.afterDecision(row, status));
    this.announceSettled(row, status === 'approved' ? 'approved_elsewhere' : 'denied_elsewhere', device.id);
    return result(status);
  }

  /** Why a decision landed nowhere, read after the fact (the rare path). */
  private async whyNotApplied(device: DecidingDevice, requestId: string, now: number): Promise<[ResultMessage['outcome'], string?]> {
    const { store } = this.deps;
    const [stored, request] = await Promise.all([store.devices.byId(device.id), store.signins.byId(requestId)]);
    if (!stored || stored.user_id !== device.userId) return ['rejected', 'unknown_device'];
    if (!request || request.user_id !== device.userId || request.method === 'password' || request.method === 'tap') {
      return ['rejected', 'not_addressed'];
    }
    if (request.status === 'pending' && request.expires_at <= now) {
      await this.expire(request.id);
      return ['expired'];
    }
    if (request.status === 'expired') return ['expired'];
    return ['already_decided'];
  }

  private async afterDecision(row: SettledRequest, status: SigninStatus): Promise<void> {
    if (!row.user_id) return;
    const { store, clock } = this.deps;
    if (status === 'approved') return store.users.recordSuccess(row.user_id, row.client_key);
    if (status === 'reported') {
      // Pauses unfamiliar clients only; the browser that made the reported request is a stranger now.
      await store.users.setPushBlocked(row.user_id, true);
      const familiarId = familiarIdOf(row.client_key);
      if (familiarId !== undefined) await this.familiar.revoke(familiarId);
      this.deps.onSecurityEvent({
        type: 'signin.reported',
        upn: row.upn,
        requestId: row.id,
        ip: row.ip,
        app: row.app_name,
        at: clock.now(),
      });
      return;
    }
    const policy = await store.policy.current();
    await store.users.recordFailure(row.user_id, row.client_key, policy.lockoutAfterFailures, clock.now());
  }

  /** Settles every pending request whose time is up; the relay calls this on a timer. */
  async expireDue(): Promise<number> {
    const expired = await this.deps.store.signins.expireDue(this.deps.clock.now());
    for (const row of expired) await this.afterExpiry(row);
    return expired.length;
  }

  private async expire(requestId: string): Promise<void> {
    const row = await this.deps.store.signins.settle(
      requestId,
      { status: 'expired', reason: 'expired', deviceId: null },
      this.deps.clock.now(),
    );
    if (row) await this.afterExpiry(row);
  }

  private async afterExpiry(row: SettledRequest): Promise<void> {
    this.deps.metrics?.decisions.inc({ outcome: 'expired' });
    // A sign-in by code that nobody claimed asked no one: it is no failure.
    if (row.match_mode !== 'code') await this.afterDecision(row, 'expired');
    this.announceSettled(row, 'expired', null);
  }

  /** Tells the request's devices (except the decider) to withdraw it, and the browser its status. */
  private announceSettled(row: SettledRequest, reason: CancelReason, exceptDeviceId: string | null): void {
    if (row.user_id) this.deps.fanout.sendToUserDevices(row.user_id, { type: 'cancel', requestId: row.id, reason }, exceptDeviceId);
    this.deps.fanout.publishStatus(row.id, statusOf(row));
  }

  /** The request if `browserToken` is its token; expires it first when its time is up. */
  async authorized(requestId: string, browserToken: string): Promise<SigninRow> {
    const read = () => this.deps.store.signins.byId(requestId);
    return this.checkToken(await read(), browserToken, read);
  }

  /** The request's status if `browserToken` is its token: what a waiting browser reads, so only those columns. */
  async status(requestId: string, browserToken: string): Promise<SigninStatusResponse> {
    const read = () => this.deps.store.signins.statusById(requestId);
    return statusOf(await this.checkToken(await read(), browserToken, read));
  }

  private async checkToken<Row extends Pick<SigninRow, 'id' | 'browser_token_hash' | 'status' | 'expires_at'>>(
    row: Row | undefined,
    browserToken: string,
    reread: () => Promise<Row | undefined>,
  ): Promise<Row> {
    if (!row || !row.browser_token_hash) throw new ApiError(404, 'not_found', 'No such sign-in request.');
    if (!matchesDigest(browserToken, row.browser_token_hash)) {
      throw new ApiError(401, 'unauthorized', 'The browser token does not match this request.');
    }
    if (row.status === 'pending' && row.expires_at <= this.deps.clock.now()) {
      await this.expire(row.id);
      return (await reread())!;
    }
    return row;
  }

  async cancel(requestId: string, browserToken: string): Promise<SigninStatusResponse> {
    const row = await this.authorized(requestId, browserToken);
    const settled = await this.deps.store.signins.settle(
      row.id,
      { status: 'cancelled', reason: 'cancelled', deviceId: null },
      this.deps.clock.now(),
    );
    if (!settled) throw new ApiError(409, 'already_decided', 'This sign-in request is already settled.');
    this.announceSettled(settled, 'cancelled', null);
    return statusOf(settled);
  }

  /** Turns an approved request into a session, once. */
  async complete(requestId: string, browserToken: string): Promise<{ upn: string; displayName: string; amr: string[]; userId: string }> {
    const row = await this.authorized(requestId, browserToken);
    if (row.status !== 'approved') throw new ApiError(409, 'not_approved', 'This sign-in request was not approved.');
    const completed = await this.deps.store.signins.markCompleted(row.id, this.deps.clock.now());
    if (!completed || !completed.user_id) throw new ApiError(409, 'already_completed', 'This sign-in request was already used.');
    const user = await this.deps.store.users.byId(completed.user_id);
    if (!user) throw new ApiError(404, 'not_found', 'No such sign-in request.');
    return { userId: user.id, upn: user.upn, displayName: user.display_name, amr: amrFor(completed.method, completed.unlock) };
  }

  /** Still-pending challenges for these devices, re-sent after a device's `ready`. */
  async pendingChallenges(devices: readonly { deviceId: string; userId: string }[]) {
    const { store, clock } = this.deps;
    const userIds = [...new Set(devices.map((device) => device.userId))];
    const rows = await store.signins.pendingForUsers(userIds, clock.now());
    if (rows.length === 0) return [];
    const policy = await store.policy.current();
    const users = new Map<string, { upn: string; display_name: string }>();
    for (const userId of new Set(rows.map((row) => row.user_id!))) {
      const user = await store.users.byId(userId);
      if (user) users.set(userId, user);
    }
    return devices.flatMap((device) =>
      rows
        .filter((row) => row.user_id === device.userId && users.has(device.userId))
        .map((row) => challengeMessage(row, device.deviceId, users.get(device.userId)!, policy)),
    );
  }
}

/** The answer for a password attempt the throttle refused: what is paused, what works, and when to try again. */
export function passwordThrottled(retryAfterMs: number, scope: ThrottleScope = 'client'): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const why =
    scope === 'client'
      ? 'Password sign-in to this account from here is paused after too many wrong passwords'
      : 'Password sign-in from unknown places is paused for a while after too many wrong passwords';
  return rateLimited(`${why}; ${WHAT_WORKS}`, seconds);
}

export function statusOf(row: Pick<SigninRow, 'status' | 'reason'>): SigninStatusResponse {
  const status = row.status as SigninStatus;
  return row.reason && row.reason !== status ? { status, reason: row.reason } : { status };
}

/** A sign-in code (section 5): 8 digits from the CSPRNG, leading zeros kept. */
function randomSigninCode(): string {
  return String(randomInt(10 ** SIGNIN_CODE_DIGITS)).padStart(SIGNIN_CODE_DIGITS, '0');
}
