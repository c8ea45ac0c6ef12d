/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { ResetPasswordForm, UserProfileForm } from '../../../protocol/admin-messages.ts';
import { parse } from '../../../protocol/parse.ts';
import type { WithSignins } from '../../signin/signin-deps.ts';
import { hashPassword } from '../../security/passwords.ts';
import { sessionCookieValue } from '../../session/browser-session.ts';
import { adminGuard } from './admin-guard.tsx';
import { commaList, fieldErrors } from './form-fields.ts';
import { takeNewTap } from './new-tap-cookie.ts';
import { doneNotice } from './user-notices.ts';
import { signOutEverywhere } from '../user-blocks.ts';
import { userPage } from './user-page.tsx';

/** /admin/users/:userId: one user's page, their profile, password and sessions. */
export function userRoutes(deps: WithSignins) {
  const { store, clock } = deps;
  const { admin, adminForm } = adminGuard(deps);
  const users = userPage(deps);

  return new Hono()
    .get(
      '/users/:userId',
      admin(async (c, session) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        const tap = takeNewTap(c, deps.relayOrigin(), session.session.csrf_token, user.userId);
        const notice = tap ? undefined : doneNotice(c.req.query('done'), c.req.query('ended'));
        return users.show(c, session, user, { ...(notice ? { notice } : {}), ...(tap ? { tap } : {}) });
      }),
    )
    .post(
      '/users/:userId',
      adminForm(async (c, session, form) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        const parsed = parse(UserProfileForm, {
          displayName: (form.value('displayName') ?? '').trim(),
          email: (form.value('email') ?? '').trim() || null,
          groups: commaList(form.value('groups')),
        });
        if (!parsed.ok) return users.show(c, session, user, { errors: fieldErrors(parsed) });
        // An admin can't take their own admin rights away here (the box is disabled, so it isn't posted).
        const isAdmin = user.upn === session.user.upn ? user.isAdmin : form.value('isAdmin') === '1';
        const { displayName, email, groups } = parsed.value;
        await store.users.update(user.userId, { displayName, email, groups, isAdmin }, clock.now());
        return users.done(c, user, 'saved');
      }),
    )
    .post(
      '/users/:userId/password',
      adminForm(async (c, session, form) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        const parsed = parse(ResetPasswordForm, { password: form.value('password') ?? '' });
        if (!parsed.ok) return users.show(c, session, user, { errors: { password: 'Use 8 to 256 characters.' } });
        await store.users.update(user.userId, { passwordHash: await hashPassword(parsed.value.password) }, clock.now());
        // Whoever knew the old password is signed out, and no browser is familiar any more; an
        // admin resetting their own keeps this session.
        const ended = await signOutEverywhere(
          deps,
          user.userId,
          user.userId === session.user.id ? sessionCookieValue(c, deps.relayOrigin()) : undefined,
        );
        deps.logger.info({ event: 'user.password_reset', upn: user.upn, by: session.user.upn, sessionsEnded: ended }, 'password reset');
        return users.done(c, user, 'password');
      }),
    )
    .post(
      '/users/:userId/sessions/revoke',
      adminForm(async (c, session, form) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        if (form.value('confirm') !== '1') {
          return users.show(c, session, user, { errors: { confirm: 'Tick the box to confirm, then press Sign out everywhere again.' } });
        }
        const ended = await signOutEverywhere(
          deps,
          user.userId,
          user.userId === session.user.id ? sessionCookieValue(c, deps.relayOrigin()) : undefined,
        );
        deps.logger.info(
          { event: 'user.sessions_revoked', upn: user.upn, by: session.user.upn, sessionsEnded: ended },
          'signed out everywhere',
        );
        return users.done(c, user, 'signed-out', `&ended=${ended}`);
      }),
    );
}
