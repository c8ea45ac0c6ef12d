import { randomId } from '../../../protocol/encoding.ts';
import type { CreateSigninResponse } from '../../../protocol/messages.ts';
import { ApiError } from '../../api-error.ts';
import { allowsFlow, isTargeted } from '../../policy/evaluate-policy.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { verifyPassword } from '../../security/passwords.ts';
import type { RequestContext } from '../../signin/request-context.ts';
import type { SigninMethod, UserRow } from '../../store/schema.ts';

export type PasswordSigninOutcome =
  /** Too many wrong passwords for this name lately: not checked at all. */
  | { kind: 'throttled' }
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
 * TAP never does, since it exists to let someone without an authenticator register one.
 */
export async function passwordSignin(
  deps: RelayDeps,
  input: { upn: string; secret: string; app: { id: string; name: string } | undefined; context: RequestContext },
): Promise<PasswordSigninOutcome> {
  const { store, clock } = deps;
  const throttle = deps.signins.passwordThrottle;
  if (!throttle.allows(input.upn)) return { kind: 'throttled' };
  const user = await store.users.byUpn(input.upn);
  const passwordOk = await verifyPassword(input.secret, user?.password_hash);
  let method: SigninMethod | undefined;
  if (user && passwordOk) method = 'password';
  else if (user && (await store.taps.use(user.id, input.secret, clock.now()))) method = 'tap';

  if (!user || !method) {
    throttle.recordFailure(input.upn);
    await logSignin(deps, { upn: user?.upn ?? input.upn.toLowerCase(), userId: user?.id ?? null, method: 'password', app: input.app, context: input.context, approved: false });
    return { kind: 'invalid' };
  }

  throttle.recordSuccess(input.upn);
  if (method === 'password') {
    const policy = await store.policy.get();
    const wantsPush =
      policy.mode === 'push' &&
      allowsFlow(policy, 'push_after_password') &&
      isTargeted(policy, await store.users.groupsOf(user.id)) &&
      (await store.devices.activeOfUser(user.id)).length > 0;
    if (wantsPush) {
      try {
        const request = await deps.signins.createAfterPassword({ user, ...(input.app ? { app: input.app.id } : {}), context: input.context });
        return { kind: 'push', user, request };
      } catch (error) {
        if (error instanceof ApiError) return { kind: 'push_refused', user, error };
        throw error;
      }
    }
  }

  await logSignin(deps, { upn: user.upn, userId: user.id, method, app: input.app, context: input.context, approved: true });
  return { kind: 'session', user, amr: method === 'tap' ? ['otp'] : ['pwd'] };
}

/** Password and TAP sign-ins go in the sign-in log already decided. */
async function logSignin(
  deps: RelayDeps,
  entry: { upn: string; userId: string | null; method: SigninMethod; app: { id: string; name: string } | undefined; context: RequestContext; approved: boolean },
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.signins.insert({
    id: randomId(),
    user_id: entry.userId,
    upn: entry.upn,
    app_id: entry.app?.id ?? null,
    app_name: entry.app?.name ?? null,
    ip: entry.context.ip,
    location: deps.signins.locate(entry.context.ip),
    browser: entry.context.browser,
    os: entry.context.os,
    method: entry.method,
    number: null,
    match_mode: null,
    digits: null,
    choices: null,
    browser_token_hash: null,
    status: entry.approved ? 'approved' : 'denied',
    reason: entry.approved ? null : 'invalid_credentials',
    device_id: null,
    created_at: now,
    expires_at: now,
    decided_at: now,
    completed_at: entry.approved ? now : null,
  });
  deps.logger.info({ event: entry.approved ? 'signin.password.ok' : 'signin.password.failed', method: entry.method, upn: entry.upn }, 'password sign-in');
}
