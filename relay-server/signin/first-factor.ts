import type { Clock } from '../clock.ts';
import { verifyPassword } from '../security/passwords.ts';
import type { PasswordThrottle, ThrottleScope } from '../security/password-throttle.ts';
import type { CountedContext, RequestContext } from '../http/request-context.ts';
import type { RefusalReason } from '../../protocol/signin-reasons.ts';
import type { SigninMethod, UserRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

/** What a typed secret turned out to be; refusals are already counted and logged. */
export type FirstFactor =
  | { kind: 'tap' }
  | { kind: 'password' }
  /** Too many wrong passwords for this name from this client lately: not checked at all. */
  | { kind: 'throttled'; retryAfterMs: number; scope: ThrottleScope }
  /** Wrong password (or TAP) or unknown user: one answer for all, nothing changes but the count and the log. */
  | { kind: 'invalid' };

/** One line of the sign-in log for an attempt that pushed nothing: a password, a TAP, a refusal. */
export interface LoggedAttempt {
  upn: string;
  userId: string | null;
  method: SigninMethod;
  app: { id: string; name: string } | undefined;
  context: RequestContext;
  outcome: 'approved' | 'invalid_credentials' | RefusalReason;
}

/**
 * The first factor, the same for the API's `password` and the password page: a live Temporary
 * Access Pass, else the password behind the throttle. Throws `rate_limited` when this client may
 * not wait in the password line now (security/password-line.ts).
 */
export async function checkFirstFactor(
  deps: { store: Store; clock: Clock; throttle: PasswordThrottle; log: (entry: LoggedAttempt) => Promise<void> },
  input: {
    upn: string;
    secret: string;
    user: Pick<UserRow, 'id' | 'upn' | 'password_hash'> | undefined;
    app: { id: string; name: string } | undefined;
    context: CountedContext;
  },
): Promise<FirstFactor> {
  const { upn, secret, user, context } = input;
  const { throttle } = deps;
  // docs/protocol.md section 5: a secret that matches a live Temporary Access Pass is accepted
  // whatever the throttles say (a hash compare, no scrypt), so an administrator's TAP always gets
  // a locked-out user back in. A wrong one is checked as a password and counts as one.
  if (user && (await deps.store.taps.use(user.id, secret, deps.clock.now()))) {
    throttle.recordSuccess(upn, context.clientKey);
    return { kind: 'tap' };
  }
  const logged = { upn: user?.upn ?? upn.toLowerCase(), userId: user?.id ?? null, method: 'password' as const, app: input.app, context };
  // Before any scrypt: a refused attempt costs no password work.
  const verdict = throttle.check(upn, context.clientKey, context.isFamiliar);
  if (!verdict.allowed) {
    if (throttle.shouldLogThrottled(upn, context.clientKey, verdict.scope)) await deps.log({ ...logged, outcome: 'password_throttled' });
    return { kind: 'throttled', retryAfterMs: verdict.retryAfterMs, scope: verdict.scope };
  }
  const passwordOk = await verifyPassword(secret, user?.password_hash, context);
  if (!user || !passwordOk) {
    throttle.recordFailure(upn, context.clientKey, context.isFamiliar, user !== undefined);
    await deps.log({ ...logged, outcome: 'invalid_credentials' });
    return { kind: 'invalid' };
  }
  throttle.recordSuccess(upn, context.clientKey);
  return { kind: 'password' };
}
