import { INTERACTION_PATH, isInteractionUid } from '../oidc/provider-config.ts';

/**
 * The app sign-in (an OpenID Connect interaction) that a sign-in was started for travels with the
 * sign-in itself, as `?interaction={uid}` on the sign-in pages and a hidden field of their forms,
 * never in a cookie: a later sign-in for another app, or for none, cannot pick it up
 * (docs/protocol.md section 9). The provider's own interaction cookie still ties the uid to this
 * browser, so a uid from elsewhere leads nowhere.
 */
export function waitingAppPath(uid: string | undefined): string | undefined {
  return uid !== undefined && isInteractionUid(uid) ? `${INTERACTION_PATH}/${uid}` : undefined;
}

/** Where "Cancel" or a denial on the authenticator tells the waiting app "access_denied". */
export function waitingAppCancelPath(uid: string | undefined): string | undefined {
  const path = waitingAppPath(uid);
  return path ? `${path}/cancel` : undefined;
}
