/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { CreateUserBody } from '../../../protocol/messages.ts';
import { parse } from '../../../protocol/parse.ts';
import { ApiError } from '../../api-error.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { renderPage } from '../../pages/render-page.ts';
import { createUserAccount, userDetails } from '../user-accounts.ts';
import { adminGuard, type AdminSession } from './admin-guard.tsx';
import type { FieldErrors } from './admin-layout.tsx';
import { commaList, fieldErrors, hasErrors } from './form-fields.ts';
import { UsersPage, type NewUserValues } from './users-views.tsx';

/** /admin/users: every user, and the form that adds one (then on to the new user's page). */
export function usersRoutes(deps: RelayDeps) {
  const { store, clock } = deps;
  const { admin, adminForm } = adminGuard(deps);

  const show = async (c: Context, session: AdminSession, values: NewUserValues, errors: FieldErrors) => {
    const users = await Promise.all((await store.users.list()).map((user) => userDetails(store, user)));
    return renderPage(
      c,
      <UsersPage viewer={session.viewer} users={users} values={values} errors={errors} now={clock.now()} />,
      hasErrors(errors) ? 400 : 200,
    );
  };

  return new Hono()
    .get(
      '/users',
      admin(async (c, session) => show(c, session, { upn: '', displayName: '', email: '', groups: '' }, {})),
    )
    .post(
      '/users',
      adminForm(async (c, session, form) => {
        const values = {
          upn: (form.value('upn') ?? '').trim(),
          displayName: (form.value('displayName') ?? '').trim(),
          email: (form.value('email') ?? '').trim(),
          groups: form.value('groups') ?? '',
        };
        const password = form.value('password') ?? '';
        const parsed = parse(CreateUserBody, {
          upn: values.upn,
          displayName: values.displayName,
          groups: commaList(values.groups),
          ...(values.email ? { email: values.email } : {}),
          ...(password ? { password } : {}),
        });
        if (!parsed.ok) return show(c, session, values, fieldErrors(parsed));
        try {
          const user = await createUserAccount(store, clock, parsed.value);
          deps.logger.info({ event: 'user.created', upn: user.upn, by: session.user.upn }, 'user created from the admin pages');
          return c.redirect(`/admin/users/${encodeURIComponent(user.id)}?done=created`, 303);
        } catch (error) {
          if (!(error instanceof ApiError) || error.code !== 'user_exists') throw error;
          return show(c, session, values, { upn: 'A user with this name already exists.' });
        }
      }),
    );
}
