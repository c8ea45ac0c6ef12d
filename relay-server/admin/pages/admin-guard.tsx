/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { RelayDeps } from '../../relay-deps.ts';
import { CsrfError, readProtectedForm, type FormFields } from '../../pages/csrf.ts';
import { csrfFailurePage } from '../../pages/csrf-failure-page.tsx';
import { MessagePage } from '../../pages/message-page.tsx';
import { pageSession, type PageSession } from '../../pages/page-session.ts';
import { renderPage } from '../../pages/render-page.ts';
import { rememberReturnTo } from '../../session/return-to.ts';
import type { AdminViewer } from './admin-layout.tsx';

export type AdminSession = PageSession & { viewer: AdminViewer };
type AdminHandler = (c: Context, session: AdminSession) => Promise<Response>;
type AdminFormHandler = (c: Context, session: AdminSession, form: FormFields) => Promise<Response>;

const forbidden = (c: Context, session: PageSession) =>
  renderPage(
    c,
    <MessagePage title="You don't have access" viewer={session.viewer} links={[{ href: '/me', label: 'Back to your account' }]}>
      <p data-testid="forbidden">The admin pages are for administrators. Ask one if you need access.</p>
    </MessagePage>,
    403,
  );

const needsApproval = (c: Context, session: PageSession) =>
  renderPage(
    c,
    <MessagePage
      title="Sign in with your authenticator"
      viewer={session.viewer}
      links={[{ href: `/signin?upn=${encodeURIComponent(session.user.upn)}`, label: 'Sign in with your authenticator' }]}
    >
      <p data-testid="admin-needs-mfa">
        The admin pages need a sign-in approved on your authenticator; a password alone is not enough. Sign in again with phone sign-in (or
        your password and an approval), and you will come back here.
      </p>
    </MessagePage>,
    403,
  );

/**
 * The door of every admin page. Signed-in administrators only, with an authenticator approval
 * (`mfa` in the session's amr). Anonymous visitors are sent to sign in and, through the return-to
 * cookie, brought back to the page they asked for; others get a 403 page and nothing runs. In demo
 * mode a password-only admin session is let in, under a warning banner.
 */
export function adminGuard(deps: RelayDeps) {
  const admin =
    (handler: AdminHandler) =>
    async (c: Context): Promise<Response> => {
      const session = await pageSession(c, deps);
      if (!session) {
        rememberReturnTo(c, deps.relayOrigin(), deps.clock.now());
        return c.redirect('/signin', c.req.method === 'GET' ? 302 : 303);
      }
      if (session.user.is_admin !== 1) return forbidden(c, session);
      if (!session.amr.includes('mfa')) {
        if (deps.config.demo) return handler(c, { ...session, viewer: { ...session.viewer, demoPasswordOnly: true } });
        rememberReturnTo(c, deps.relayOrigin(), deps.clock.now());
        return needsApproval(c, session);
      }
      return handler(c, session);
    };

  /** An admin form post: refused with a 403 page, nothing changed, unless its CSRF token is this session's. */
  const adminForm = (handler: AdminFormHandler) =>
    admin(async (c, session) => {
      let form;
      try {
        form = await readProtectedForm(c, deps.relayOrigin(), session.session);
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailurePage(c, { href: '/admin', label: 'Back to admin' }, session.viewer);
        throw error;
      }
      return handler(c, session, form);
    });

  return { admin, adminForm };
}
