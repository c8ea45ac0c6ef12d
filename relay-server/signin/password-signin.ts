import type { CreateSigninResponse } from '../../protocol/messages.ts';
import { ApiError } from '../api-error.ts';
import { allowsFlow, isTargeted } from '../policy/evaluate-policy.ts';
import type { WithSignins } from './signin-deps.ts';
import { checkFirstFactor, type FirstFactor, type LoggedAttempt } from './first-factor.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { ThrottleScope } from '../security/password-throttle.ts';
import type { UserRow } from '../store/schema.ts';

export type PasswordSigninOutcome =
  /** Too many wrong passwords for this name from this client lately: not checked at all. */
  | { kind: 'throttled'; retryAfterSeconds: number; scope: ThrottleScope }
  /** This client may not wait in the password line now (a spray from unknown places): not checked, try again soon. */
  | { kind: 'busy'; retryAfterSeconds: number; message: string }
  /** Wrong password (or TAP) or unknown user: one answer for all, nothing changes but the log. */
  | { kind: 'invalid' }
  /** The first factor is enough: start a session with this amr. */
  | { kind: 'session'; user: UserRow; amr: string[] }
  /** The policy wants an approval as second factor: the request is made, show its number. */
  | { kind: 'push'; user: UserRow; request: CreateSigninResponse }
  /** The policy wants an approval but none can be sent now (budget, lockout, "it wasn't me"). */
  | { kind: 'push_refused'; user: UserRow; error: ApiError };

/**
 * The password page's check: the password, else a Temporary Access Pass typed in the same field.
 * After a password the policy may ask for a push (mode `push`, user targeted, with a device); a
 * TAP never does, since it exists to let someone without an authenticator register one. The
 * throttle counts per name and client (security/password-throttle.ts), so another client's wrong
 * passwords never keep a valid TAP or password from being checked here.
 */
export async function passwordSignin(
  deps: WithSignins,
  input: { upn: string; secret: string; app: { id: string; name: string } | undefined; context: RequestContext },
): Promise<PasswordSigninOutcome> {
  const { store, clock, signins } = deps;
  const user = await store.users.byUpn(input.upn);
  const context = await signins.counted(input.context, user?.id);
  let factor: FirstFactor;
  try {
    factor = await checkFirstFactor(
      { store, clock, throttle: signins.passwordThrottle, log: (entry) => logSignin(deps, entry) },
      { upn: input.upn, secret: input.secret, user, app: input.app, context },
    );
  } catch (error) {
    if (error instanceof ApiError && error.code === 'rate_limited') {
      return { kind: 'busy', retryAfterSeconds: error.retryAfterSeconds ?? 1, message: error.message };
    }
    throw error;
  }
  if (factor.kind === 'throttled') {
    return { kind: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil(factor.retryAfterMs / 1000)), scope: factor.scope };
  }
  if (factor.kind === 'invalid' || !user) return { kind: 'invalid' };
  const method = factor.kind;
  if (method === 'password') {
    const policy = await store.policy.get();
    const wantsPush =
      policy.mode === 'push' &&
      allowsFlow(policy, 'push_after_password') &&
      isTargeted(policy, await store.users.groupsOf(user.id)) &&
      (await store.devices.activeOfUser(user.id)).length > 0;
    if (wantsPush) {
      try {
        const request = await signins.createAfterPassword({ user, ...(input.app ? { app: input.app.id } : {}), context });
        return { kind: 'push', user, request };
      } catch (error) {
        if (error instanceof ApiError) return { kind: 'push_refused', user, error };
        throw error;
      }
    }
  }

  // A successful sign-in resets this client's failed-push count (docs/protocol.md section 6).
  await store.users.recordSuccess(user.id, context.clientKey);
  await logSignin(deps, { upn: user.upn, userId: user.id, app: input.app, context, method, outcome: 'approved' });
  return { kind: 'session', user, amr: method === 'tap' ? ['otp'] : ['pwd'] };
}

/** Password and TAP sign-ins, failed and refused attempts too, go in the sign-in log already decided. */
async function logSignin(deps: WithSignins, entry: LoggedAttempt): Promise<void> {
  await deps.signins.logAttempt(entry);
  const event =
    entry.outcome === 'approved'
      ? 'signin.password.ok'
      : entry.outcome === 'password_throttled'
        ? 'signin.password.throttled'
        : 'signin.password.failed';
  deps.logger.info({ event, method: entry.method, upn: entry.upn }, 'password sign-in');
}
