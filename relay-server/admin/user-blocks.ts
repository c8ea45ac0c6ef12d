import type { RelayDeps } from '../relay-deps.ts';
import type { WithSignins } from '../signin/signin-deps.ts';

/**
 * `DELETE /api/v1/admin/users/{upn}/blocks` and the admin page's Clear button: a report's pause
 * of unfamiliar clients and every client's failure lock end (docs/protocol.md section 7).
 */
export async function clearBlocks(deps: Pick<RelayDeps, 'store'>, userId: string): Promise<void> {
  await deps.store.users.setPushBlocked(userId, false);
}

/**
 * "Sign out everywhere" (docs/protocol.md section 7), also what a password change does: the
 * user's sessions end (but `keepSession`, an administrator's own) and none of the browsers they
 * signed in from is familiar any more. Returns how many sessions ended.
 */
export async function signOutEverywhere(
  deps: Pick<WithSignins, 'store' | 'signins'>,
  userId: string,
  keepSession?: string,
): Promise<number> {
  const ended = await deps.store.sessions.removeAllOfUser(userId, keepSession);
  await deps.signins.familiar.revokeAllOf(userId);
  return ended;
}
