/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { IssueTapBody } from '../../../protocol/messages.ts';
import { parse } from '../../../protocol/parse.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { revokeDevice } from '../../devices/revoke-device.ts';
import { clearBlocks } from '../user-blocks.ts';
import { adminGuard } from './admin-guard.tsx';
import { formInteger } from './form-fields.ts';
import { keepNewTap } from './new-tap-cookie.ts';
import { userPage } from './user-page.tsx';

/** What an admin does to a user's sign-in: clear the risk flag, issue a pass, revoke a device. */
export function userActionRoutes(deps: RelayDeps) {
  const { store, clock } = deps;
  const { adminForm } = adminGuard(deps);
  const users = userPage(deps);

  return new Hono()
    .post(
      '/users/:userId/clear-risk',
      adminForm(async (c, session) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        await clearBlocks(deps, user.userId);
        deps.logger.info({ event: 'user.risk_cleared', upn: user.upn, by: session.user.upn }, 'at-risk flag cleared');
        return users.done(c, user, 'cleared');
      }),
    )
    .post(
      '/users/:userId/tap',
      adminForm(async (c, session, form) => {
        const user = await users.load(c);
        if (!user) return users.notFound(c, session);
        const oneTime = form.value('oneTime') === '1';
        const parsed = parse(IssueTapBody, { lifetimeMinutes: formInteger(form.value('lifetimeMinutes')), oneTime });
        if (!parsed.ok)
          return users.show(c, session, user, { errors: { lifetimeMinutes: 'Choose from 10 minutes to 43200 minutes (30 days).' } });
        const tap = await store.taps.issue(user.userId, parsed.value.lifetimeMinutes * 60_000, parsed.value.oneTime, clock.now());
        deps.logger.info({ event: 'tap.issued', upn: user.upn, oneTime, by: session.user.upn }, 'temporary access pass issued');
        keepNewTap(c, deps.relayOrigin(), session.session.csrf_token, user.userId, { ...tap, oneTime });
        return users.done(c, user, 'tap');
      }),
    )
    .post(
      '/devices/:deviceId/revoke',
      adminForm(async (c, session, form) => {
        const device = await store.devices.byId(c.req.param('deviceId') ?? '');
        if (!device) {
          // Revoked already (another tab, another admin): back to the user's page, saying so.
          const owner = await store.users.byId(form.value('userId') ?? '');
          return c.redirect(owner ? `/admin/users/${encodeURIComponent(owner.id)}?done=gone` : '/admin/users', 303);
        }
        await revokeDevice(deps, device.id);
        deps.logger.info(
          { event: 'device.revoked_by_admin', deviceId: device.id, by: session.user.upn },
          'authenticator revoked from the admin pages',
        );
        return c.redirect(`/admin/users/${encodeURIComponent(device.user_id)}?done=revoked`, 303);
      }),
    );
}
