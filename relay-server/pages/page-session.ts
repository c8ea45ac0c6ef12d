import type { Context } from 'hono';
import type { RelayDeps } from '../relay-deps.ts';
import { currentSession, type SignedInUser } from '../session/browser-session.ts';
import type { Viewer } from './layout.tsx';

export interface PageSession extends SignedInUser {
  viewer: Viewer;
}

/** The signed-in user of this request with what the top bar needs, or undefined. */
export async function pageSession(c: Context, deps: RelayDeps): Promise<PageSession | undefined> {
  const signedIn = await currentSession(c, deps.store, deps.clock, deps.relayOrigin());
  if (!signedIn) return undefined;
  const viewer: Viewer = {
    upn: signedIn.user.upn,
    displayName: signedIn.user.display_name,
    isAdmin: signedIn.user.is_admin === 1,
    // The session's own token (pages/csrf.ts): a token from another session is refused.
    csrf: signedIn.session.csrf_token,
  };
  return { ...signedIn, viewer };
}

/** How a session's amr reads to a person. */
export function describeAmr(amr: readonly string[]): string {
  if (amr.includes('otp')) return 'Temporary Access Pass';
  if (amr.includes('pwd') && (amr.includes('swk') || amr.includes('mfa'))) return 'Password, then approved in Countersign';
  if (amr.includes('swk')) return 'Approved in Countersign';
  if (amr.includes('pwd')) return 'Password';
  return 'Unknown method';
}
