import type { Context } from 'hono';
import { ID_PATTERN } from '../../protocol/encoding.ts';
import { ApiError } from '../api-error.ts';
import { clientContext } from '../http/client-context.ts';
import type { PageSession } from '../pages/page-session.ts';
import type { WithSignins } from '../signin/signin-deps.ts';
import type { StartedRequest } from '../signin/signin-page.tsx';
import { clearPageCookie, readPageCookie, setPageCookie } from '../session/page-cookie.ts';

/**
 * A password-only session that asks to add another authenticator first approves on one it has
 * (add-authenticator-policy.ts). The form starts that push; the request id and browser token ride
 * in a cookie limited to /security-info, so the GET page it redirects to can show the number
 * again on reload without sending a second push.
 */
const COOKIE = { name: 'countersign_step_up', path: '/security-info' };

/** Why no approval could be sent: too many requests right now, or none can be sent to this account. */
export type StepUpRefusal = 'busy' | 'unavailable';

export async function startStepUp(c: Context, deps: WithSignins, session: PageSession): Promise<StepUpRefusal | undefined> {
  let request;
  try {
    request = await deps.signins.createStepUp({ user: session.user, context: clientContext(c, deps.config.trustProxy) });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    deps.logger.info(
      { event: 'pairing.approval_refused', upn: session.user.upn, code: error.code },
      'no approval could be sent to add an authenticator',
    );
    return error.code === 'rate_limited' ? 'busy' : 'unavailable';
  }
  deps.logger.info({ event: 'pairing.approval_requested', upn: session.user.upn }, 'approval requested to add an authenticator');
  const value = `${request.requestId}.${request.browserToken}`;
  setPageCookie(c, deps.relayOrigin(), COOKIE, value, request.expiresAt - deps.clock.now());
  return undefined;
}

/** The session's step-up request while it waits for the approval, or undefined (and the cookie is cleared). */
export async function pendingStepUp(c: Context, deps: WithSignins, session: PageSession): Promise<StartedRequest | undefined> {
  const relayOrigin = deps.relayOrigin();
  const [requestId = '', browserToken = ''] = (readPageCookie(c, relayOrigin, COOKIE) ?? '').split('.');
  let row;
  if (ID_PATTERN.test(requestId) && ID_PATTERN.test(browserToken)) {
    try {
      // Checks the browser token in constant time (signin-service.ts).
      row = await deps.signins.authorized(requestId, browserToken);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }
  if (!row || row.user_id !== session.user.id || row.status !== 'pending' || row.number === null) {
    clearPageCookie(c, relayOrigin, COOKIE);
    return undefined;
  }
  return { requestId, browserToken, number: row.number, expiresAt: row.expires_at, upn: session.user.upn, serverNow: deps.clock.now() };
}
