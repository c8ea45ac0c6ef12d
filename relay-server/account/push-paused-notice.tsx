/** @jsxImportSource hono/jsx */
import { Notice } from '../pages/layout.tsx';

/**
 * What the person signed in (from a familiar browser, with a password or a pass) is told when
 * their account's requests from unknown places are paused after "It wasn't me": what happened, what
 * still works and who can clear it. The sign-in page tells strangers only that requests are paused.
 */
export function PushPausedNotice() {
  return (
    <Notice kind="warn">
      <p data-testid="push-paused">
        <strong>Sign-in requests to your account are paused.</strong> Someone answered “It wasn’t me” to a sign-in request on one of your
        authenticators, so requests from browsers you haven’t used before are refused. This browser and signing in with a code still work.
        Only an administrator can clear this: ask yours, and tell them whether that sign-in was you.
      </p>
    </Notice>
  );
}
