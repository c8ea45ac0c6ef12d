/** @jsxImportSource hono/jsx */
import { LocalTime } from '../../pages/local-time.tsx';
import { CsrfField, Notice } from '../../pages/layout.tsx';
import type { SigninRow } from '../../store/schema.ts';
import type { UserDetails } from '../user-accounts.ts';

type Reported = Pick<SigninRow, 'app_name' | 'ip' | 'location' | 'created_at'>;

/** "At risk" (a reported sign-in, named) or "locked" (too many failures), each with its way out. */
export function RiskBanner(props: { user: UserDetails; reported: Reported | undefined; now: number; csrf: string; base: string }) {
  const { user, reported } = props;
  if (user.atRisk) {
    return (
      <Notice kind="error">
        <p data-testid="risk-details">
          <strong>At risk.</strong> This user answered "It wasn't me" to a sign-in request
          {reported ? (
            <>
              {' '}
              for <strong>{reported.app_name ?? 'an unnamed app'}</strong> from <span class="mono">{reported.ip}</span>
              {reported.location ? ` (${reported.location})` : ''} on <LocalTime at={reported.created_at} />
            </>
          ) : null}
          . Sign-in requests from unknown places are paused until you clear this; the browsers they used before, and signing in with a code,
          still work. Check with the user first: someone else may know their password.
        </p>
        <form
          method="post"
          action={`${props.base}/clear-risk`}
          data-confirm={`Let ${user.upn} use push sign-in again?`}
          data-confirm-action="Clear"
        >
          <CsrfField token={props.csrf} />
          <button type="submit" class="button small" data-testid="clear-risk">
            Clear blocks
          </button>
        </form>
      </Notice>
    );
  }
  if (user.lockedUntil === null || user.lockedUntil <= props.now) return null;
  return (
    <Notice kind="warn">
      <p>
        Push sign-in is locked for some places after {user.failureCount} failures until <LocalTime at={user.lockedUntil} />.
      </p>
      <form method="post" action={`${props.base}/clear-risk`}>
        <CsrfField token={props.csrf} />
        <button type="submit" class="button small" data-testid="clear-blocks">
          Clear blocks
        </button>
      </form>
    </Notice>
  );
}
