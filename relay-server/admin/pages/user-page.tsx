/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { RelayDeps } from '../../relay-deps.ts';
import { MessagePage } from '../../pages/message-page.tsx';
import { renderPage } from '../../pages/render-page.ts';
import { userDetails, type UserDetails } from '../user-accounts.ts';
import type { AdminSession } from './admin-guard.tsx';
import type { FieldErrors } from './admin-layout.tsx';
import { hasErrors } from './form-fields.ts';
import type { NewTap } from './new-tap-cookie.ts';
import { UserPage } from './user-views.tsx';

/** Loading and showing one user's admin page, shared by its GET and its forms' error answers. */
export function userPage(deps: RelayDeps) {
  const { store, clock } = deps;

  const load = async (c: Context): Promise<UserDetails | undefined> => {
    const user = await store.users.byId(c.req.param('userId') ?? '');
    return user ? userDetails(store, user) : undefined;
  };

  const notFound = (c: Context, session: AdminSession) =>
    renderPage(
      c,
      <MessagePage title="No such user" viewer={session.viewer} links={[{ href: '/admin/users', label: 'All users' }]}>
        <p>There is no such user. They may have been removed; pick one from the list of users.</p>
      </MessagePage>,
      404,
    );

  const show = async (
    c: Context,
    session: AdminSession,
    user: UserDetails,
    extra: { errors?: FieldErrors; notice?: string; tap?: NewTap } = {},
  ) => {
    const errors = extra.errors ?? {};
    // The banner names the sign-in the user reported.
    const reported = user.atRisk ? (await store.signins.list({ upn: user.upn, status: 'reported', limit: 1 }))[0] : undefined;
    const page = (
      <UserPage
        viewer={session.viewer}
        user={user}
        now={clock.now()}
        errors={errors}
        notice={extra.notice}
        tap={extra.tap}
        reported={reported}
      />
    );
    return renderPage(c, page, hasErrors(errors) ? 400 : 200);
  };

  /** After a change: 303 to the page (post/redirect/get), which then says what was done. */
  const done = (c: Context, user: UserDetails, what: string, extra = '') =>
    c.redirect(`/admin/users/${encodeURIComponent(user.userId)}?done=${what}${extra}`, 303);

  return { load, notFound, show, done };
}
