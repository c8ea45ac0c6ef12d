/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { pageSession } from '../pages/page-session.ts';
import { renderPage } from '../pages/render-page.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { takeReturnTo } from '../session/return-to.ts';
import { takeProtectedSiteReturn } from '../forward-auth/signin-return.ts';
import { MePage } from './me-page.tsx';
import { SignedOutPage } from './signed-out-page.tsx';
import { signedIn } from './signed-in.ts';

/** /me (who you are and how you signed in) and /signed-out (where signing out lands). */
export function meRoutes(deps: RelayDeps) {
  return new Hono()
    .get(
      '/me',
      signedIn(deps, async (c, session) => {
        // Both ways of signing in land here; someone who was sent to sign in from an admin or security info page goes back to it.
        const backToSite = await takeProtectedSiteReturn(c, deps, session);
        if (backToSite) return backToSite;
        const returnTo = takeReturnTo(c, deps.relayOrigin(), session.session.created_at);
        if (returnTo) return c.redirect(returnTo, 303);
        return renderPage(c, <MePage session={session} />);
      }),
    )
    .get('/signed-out', async (c) => {
      // Still signed in (the address typed by hand, say): saying "you signed out" would be wrong.
      if (await pageSession(c, deps)) return c.redirect('/me', 302);
      return renderPage(c, <SignedOutPage />);
    });
}
