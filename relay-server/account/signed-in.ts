import type { Context } from 'hono';
import { CsrfError, readProtectedForm, type FormFields } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { pageSession, type PageSession } from '../pages/page-session.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { rememberReturnTo } from '../session/return-to.ts';

type PageHandler = (c: Context, session: PageSession) => Promise<Response>;
type FormHandler = (c: Context, session: PageSession, form: FormFields) => Promise<Response>;

/**
 * Runs `handler` for a signed-in user; anyone else goes to the sign-in page and, through the
 * return-to cookie, comes back to the security info page they asked for (session/return-to.ts).
 */
export const signedIn =
  (deps: RelayDeps, handler: PageHandler) =>
  async (c: Context): Promise<Response> => {
    const session = await pageSession(c, deps);
    if (!session) {
      rememberReturnTo(c, deps.relayOrigin(), deps.clock.now());
      return c.redirect('/signin', c.req.method === 'GET' ? 302 : 303);
    }
    return handler(c, session);
  };

/** Same, for a form post: a foreign Origin or a missing or wrong CSRF token changes nothing (403). */
export const signedInForm = (deps: RelayDeps, handler: FormHandler) =>
  signedIn(deps, async (c, session) => {
    let form;
    try {
      form = await readProtectedForm(c, deps.relayOrigin(), session.session);
    } catch (error) {
      if (!(error instanceof CsrfError)) throw error;
      return csrfFailurePage(c, { href: '/security-info', label: 'Back to Security info' }, session.viewer);
    }
    return handler(c, session, form);
  });
