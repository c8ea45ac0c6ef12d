import { randomId } from '../../protocol/encoding.ts';
import type {
  CancelReason,
  CreateSigninResponse,
  DecisionMessage,
  ResultMessage,
  SigninStatus,
  SigninStatusResponse,
} from '../../protocol/messages.ts';
import { matchChoices, randomMatchNumber } from '../../protocol/number-match.ts';
import { decisionStatement } from '../../protocol/statements.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { ApiError, rateLimited, secondsUntil } from '../api-error.ts';
import type { Clock } from '../clock.ts';
import type { Fanout } from '../hub/fanout.ts';
import { allowsFlow, isTargeted, targetsByGroup, type PushFlow } from '../policy/evaluate-policy.ts';
import { hashSecret, matchesDigest } from '../security/secrets.ts';
import { verifyPassword } from '../security/passwords.ts';
import { PasswordThrottle, type ThrottleVerdict } from '../security/password-throttle.ts';
import { FamiliarBrowsers } from '../security/familiar-browser.ts';
import { relaySecret } from '../store/relay-secrets.ts';
import { verifyDeviceSignatureOffThread } from '../security/verify-signature.ts';
import type { SigninMethod, SigninRow, UserRow } from '../store/schema.ts';
import { MAX_PENDING_PER_USER, type SettledRequest } from '../store/signins-store.ts';
import type { Store } from '../store/store.ts';
import type { PushTarget } from '../store/users-store.ts';
import { challengeMessage } from './challenge-message.ts';
import type { LocateIp } from './locate-ip.ts';
import type { RequestContext } from './request-context.ts';
import type { SecurityEventSink } from './security-events.ts';
import { LAST_USED_RESOLUTION_MS, decisionKey, type DecidingDevice } from './deciding-device.ts';
import { amrFor } from './amr.ts';
import { PushBlockedError } from './push-blocked.ts';
import type { RelayMetrics } from '../ops/metrics.ts';

const PUSH_BUDGET_WINDOW_MS = 10 * 60_000;
/** The per-user push backstop: this many times the per-client budget, from every client together. */
export const PUSH_BACKSTOP_FACTOR = 10;

/** What a device (and the sign-in log) shows as the app of a step-up push. */
export const STEP_UP_APP_NAME = 'Security info: add an authenticator';

export interface SigninServiceDeps {
  store: Store;
  fanout: Fanout;
  clock: Clock;
  relayOrigin: () => string;
  locate: LocateIp;
  onSecurityEvent: SecurityEventSink;
  metrics?: RelayMetrics;
}

/** Sign-in requests from creation to session: docs/protocol.md sections 4 (decisions) and 5. */
export class SigninService {
  /** Shared by the API's password path and the password page. */
  readonly passwordThrottle: PasswordThrottle;
  /** Browsers users signed in from: they may still ask when strangers have spent a backstop. */
  readonly familiar: FamiliarBrowsers;

  constructor(private readonly deps: SigninServiceDeps) {
    this.passwordThrottle = new PasswordThrottle(() => deps.clock.now());
    this.familiar = new FamiliarBrowsers(
      () => relaySecret(deps.store.db, 'familiar-browser-key'),
      () => deps.clock.now(),
    );
  }

  /** Where an IP is, as the challenge and the sign-in log show it. */
  locate(ip: string): string | null {
    return this.deps.locate(ip);
  }

  /** `POST /api/v1/signins`: passwordless, or push after the password given here. */
  async create(input: { upn: string; app?: string; password?: string; context: RequestContext }): Promise<CreateSigninResponse> {
    const appLabel = await this.appLabel(input.app);
    const { context } = input;
    const target = await this.deps.store.users.pushTarget({ upn: input.upn }, this.pushBudgetStart(), context.clientKey);
    let flow: PushFlow = 'passwordless';
    if (input.password !== undefined) {
      const logged = {
        upn: target?.user.upn ?? input.upn.toLowerCase(),
        userId: target?.user.id ?? null,
        method: 'password' as const,
        app: this.appFor(input.app, appLabel),
        context,
      };
      // The throttle runs before scrypt: a refused attempt costs no password work.
      const verdict = await this.passwordVerdict(input.upn, target?.user.id, context);
      if (!verdict.allowed) {
        if (this.passwordThrottle.shouldLogThrottled(input.upn, context.clientKey, verdict.scope))
          await this.logAttempt({ ...logged, outcome: 'rate_limited' });
        throw passwordThrottled(verdict.retryAfterMs);
      }
      const passwordOk = await verifyPassword(input.password, target?.user.password_hash);
      if (!passwordOk || !target) {
        this.passwordThrottle.recordFailure(input.upn, context.clientKey);
        await this.logAttempt({ ...logged, outcome: 'invalid_credentials' });
        throw new ApiError(401, 'invalid_credentials', 'The username or password is incorrect.');
      }
      this.passwordThrottle.recordSuccess(input.upn, context.clientKey);
      flow = 'push_after_password';
    }
    return this.openPush(target, flow, input.app, appLabel, context);
  }

  /**
   * Whether this client may try a password (or TAP) for this name now. Past a backstop (every
   * client for the name, or this client for every name) a familiar browser of that user may
   * still try: strangers spraying a name cannot lock its owner out of their own browser.
   */
  async passwordVerdict(upn: string, userId: string | undefined, context: RequestContext): Promise<ThrottleVerdict> {
    const verdict = this.passwordThrottle.check(upn, context.clientKey);
    if (!verdict.allowed && verdict.scope !== 'client' && userId !== undefined && (await this.familiar.verify(context.familiar, userId))) {
      return { allowed: true };
    }
    return verdict;
  }

  /**
   * A refused or failed attempt, or a password or TAP sign-in, as a row of the sign-in log, stored
   * already decided. Refused (throttled) attempts are logged once per window per client and name
   * (PasswordThrottle.shouldLogThrottled), so floods, unknown names included, stay bounded.
   */
  async logAttempt(entry: {
    upn: string;
    userId: string | null;
    method: SigninMethod;
    app: { id: string; name: string } | undefined;
    context: RequestContext;
    outcome: 'approved' | 'invalid_credentials' | 'rate_limited';
  }): Promise<void> {
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
  async createAfterPassword(input: { user: UserRow; app?: string; context: RequestContext }): Promise<CreateSigninResponse> {
    const appLabel = await this.appLabel(input.app);
    const target = await this.deps.store.users.pushTarget({ id: input.user.id }, this.pushBudgetStart(), input.context.clientKey);
    return this.openPush(target, 'push_after_password', input.app, appLabel, input.context);
  }

  /**
   * A push that upgrades a signed-in user's session: adding another authenticator after a
   * password sign-in needs an approval on one they have (the completed request's `amr` then has
   * `swk`). The policy still decides whether the user gets pushes at all.
   */
  async createStepUp(input: { user: UserRow; context: RequestContext }): Promise<CreateSigninResponse> {
    const target = await this.deps.store.users.pushTarget({ id: input.user.id }, this.pushBudgetStart(), input.context.clientKey);
    const policy = await this.deps.store.policy.current();
    // The session's password counts as the first factor when the policy has that flow.
    const flow: PushFlow = allowsFlow(policy, 'push_after_password') ? 'push_after_password' : 'passwordless';
    return this.openPush(target, flow, undefined, STEP_UP_APP_NAME, input.context);
  }

  private pushBudgetStart(): number {
    return this.deps.clock.now() - PUSH_BUDGET_WINDOW_MS;
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
    context: RequestContext,
  ): Promise<CreateSigninResponse> {
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
    const refuse = async (error: ApiError): Promise<never> => {
      if (this.passwordThrottle.shouldLogThrottled(user.upn, context.clientKey, 'push')) {
        await this.logAttempt({
          upn: user.upn,
          userId: user.id,
          method: flow,
          app: this.appFor(appId, appLabel),
          context,
          outcome: 'rate_limited',
        });
      }
      throw error;
    };
    if (user.push_blocked) {
      await refuse(new PushBlockedError());
    }
    // docs/protocol.md section 6: failures and the budget count per user and client, so a stranger
    // spends only their own; the backstop behind them lets familiar browsers through.
    if (target.clientLockedUntil !== null && target.clientLockedUntil > now) {
      await refuse(
        rateLimited(
          'Too many push sign-ins from this device or network were denied or went unanswered.',
          secondsUntil(target.clientLockedUntil, now),
        ),
      );
    }
    if (target.clientPushes >= policy.maxPushesPer10Min) {
      await refuse(
        rateLimited(
          'Too many push sign-ins for this account from this device or network.',
          await this.budgetRetry(user.id, context.clientKey, now),
        ),
      );
    }
    if (
      target.recentPushes >= policy.maxPushesPer10Min * PUSH_BACKSTOP_FACTOR &&
      !(await this.familiar.verify(context.familiar, user.id))
    ) {
      await refuse(
        rateLimited(
          'Too many push sign-ins for this account lately; only browsers it has signed in from before may ask now.',
          await this.budgetRetry(user.id, null, now),
        ),
      );
    }

    const digits = policy.match.digits;
    const number = randomMatchNumber(digits);
    const browserToken = randomId();
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
      match_mode: policy.match.mode,
      digits,
      choices: policy.match.mode === 'choose' ? JSON.stringify(matchChoices(number, digits)) : null,
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
    let opened = await store.signins.openRequest({ ...row, user_id: user.id });
    // Slots held by requests whose time is up (the sweeper has not run yet) are freed first.
    if (!opened.opened && opened.pending.some((request) => request.expires_at <= now)) {
      await this.expireDue();
      opened = await store.signins.openRequest({ ...row, user_id: user.id });
    }
    if (!opened.opened) {
      const firstEnds = Math.min(...opened.pending.map((request) => request.expires_at));
      return refuse(
        rateLimited(
          `This account already has ${MAX_PENDING_PER_USER} sign-in requests waiting from other devices.`,
          secondsUntil(firstEnds, now),
        ),
      );
    }
    for (const older of opened.superseded) this.announceSettled(older, 'superseded', null);
    for (const deviceId of deviceIds) this.deps.fanout.sendToDevice(deviceId, challengeMessage(row, deviceId, user, policy));
    this.deps.metrics?.signins.inc();
    this.deps.metrics?.pushes.inc(deviceIds.length);
    return { requestId: row.id, number, digits, expiresAt: row.expires_at, browserToken };
  }

  /** Seconds until the oldest push counted against a budget (this client's, or every client's) leaves the window. */
  private async budgetRetry(userId: string, clientKey: string | null, now: number): Promise<number> {
    const oldest = await this.deps.store.signins.oldestPushSince(userId, clientKey, this.pushBudgetStart());
    return secondsUntil((oldest ?? now) + PUSH_BUDGET_WINDOW_MS, now);
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

    const settled = await store.signins.applyDecision({
      requestId: decision.requestId,
      deviceId: device.id,
      userId: device.userId,
      decision: decision.decision,
      number: decision.number,
      unlock: decision.unlock,
      now,
    });
    if (!settled) return result(...(await this.whyNotApplied(device, decision.requestId, now)));
    const { user_failures: userFailures, ...row } = settled;
    // applyDecision writes only these.
    const status = row.status as 'approved' | 'wrong_number' | 'denied' | 'reported';
    this.deps.metrics?.decisions.inc({ outcome: status });
    this.deps.metrics?.roundTrip.observe(Math.max(0, now - row.created_at) / 1000);
    if (now - device.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      device.lastUsedAt = now;
      await store.devices.touch(device.id, now);
    }
    if (status !== 'approved' || Number(userFailures) > 0) await this.afterDecision(row, status);
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
      await store.users.setPushBlocked(row.user_id, true);
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
    await this.afterDecision(row, 'expired');
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

/** The answer for a password attempt the throttle refused, saying when to try again. */
export function passwordThrottled(retryAfterMs: number): ApiError {
  return rateLimited('Too many wrong passwords for this account from this device or network.', Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

export function statusOf(row: Pick<SigninRow, 'status' | 'reason'>): SigninStatusResponse {
  const status = row.status as SigninStatus;
  return row.reason && row.reason !== status ? { status, reason: row.reason } : { status };
}
