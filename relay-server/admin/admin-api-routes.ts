import { Hono, type Context } from 'hono';
import { SigninsQuery, UpdateUserBody } from '../../protocol/admin-messages.ts';
import { CreateUserBody, IssueTapBody, PolicySchema, UpnSchema } from '../../protocol/messages.ts';
import { parse } from '../../protocol/parse.ts';
import { ApiError } from '../api-error.ts';
import { requireAdminToken } from '../http/admin-bearer.ts';
import { readJson } from '../http/read-json.ts';
import type { WithSignins } from '../signin/signin-deps.ts';
import { hashPassword } from '../security/passwords.ts';
import { signinLogEntry } from '../signin/signin-log.ts';
import { createPairingOffer } from '../devices/pairing-offer.ts';
import { revokeDevice } from '../devices/revoke-device.ts';
import { createUserAccount, userDetails } from './user-accounts.ts';
import { clearBlocks, signOutEverywhere } from './user-blocks.ts';

/** docs/protocol.md section 7, behind the ADMIN_TOKEN bearer, compared in constant time. */
export function adminRoutes(deps: WithSignins) {
  const { store, clock } = deps;
  const upnParam = (c: Context): string => {
    const upn = c.req.param('upn') ?? ''; // Hono has already decoded the path parameter once.
    if (!parse(UpnSchema, upn).ok) throw new ApiError(400, 'invalid_request', 'upn is invalid');
    return upn;
  };
  const userOr404 = async (upn: string) => {
    const user = await store.users.byUpn(upn);
    if (!user) throw new ApiError(404, 'not_found', 'No such user.');
    return user;
  };

  return (
    new Hono()
      .use('*', requireAdminToken(deps.config.adminToken))
      .get('/users', async (c) => {
        const users = await store.users.list();
        return c.json({ users: await Promise.all(users.map((user) => userDetails(store, user))) });
      })
      .post('/users', async (c) => {
        const body = await readJson(c, CreateUserBody);
        const user = await createUserAccount(store, clock, body);
        deps.logger.info({ event: 'user.created', upn: user.upn }, 'user created');
        return c.json({ userId: user.id, upn: user.upn }, 201);
      })
      .get('/users/:upn', async (c) => c.json(await userDetails(store, await userOr404(upnParam(c)))))
      .patch('/users/:upn', async (c) => {
        const user = await userOr404(upnParam(c));
        const body = await readJson(c, UpdateUserBody);
        await store.users.update(
          user.id,
          {
            ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
            ...(body.email !== undefined ? { email: body.email } : {}),
            ...(body.password !== undefined ? { passwordHash: await hashPassword(body.password) } : {}),
            ...(body.groups !== undefined ? { groups: body.groups } : {}),
            ...(body.isAdmin !== undefined ? { isAdmin: body.isAdmin } : {}),
          },
          clock.now(),
        );
        if (body.pushBlocked === false) await clearBlocks(deps, user.id);
        if (body.password !== undefined) {
          // Whoever knew the old password is signed out everywhere, and no browser is familiar any more.
          const ended = await signOutEverywhere(deps, user.id);
          deps.logger.info({ event: 'user.password_reset', upn: user.upn, sessionsEnded: ended }, 'password reset');
        }
        return c.json(await userDetails(store, (await store.users.byId(user.id))!));
      })
      // "Sign out everywhere": every browser session of the user ends, and every familiar-browser
      // cookie (their devices stay). `DELETE .../sessions` is the older name of the same call.
      .post('/users/:upn/signout', async (c) => {
        const user = await userOr404(upnParam(c));
        const ended = await signOutEverywhere(deps, user.id);
        deps.logger.info({ event: 'user.sessions_revoked', upn: user.upn, sessionsEnded: ended }, 'signed out everywhere');
        return c.body(null, 204);
      })
      .delete('/users/:upn/sessions', async (c) => {
        const user = await userOr404(upnParam(c));
        const ended = await signOutEverywhere(deps, user.id);
        deps.logger.info({ event: 'user.sessions_revoked', upn: user.upn, sessionsEnded: ended }, 'signed out everywhere');
        return c.body(null, 204);
      })
      // docs/protocol.md section 7: clears a report's pause and every failure lock.
      .delete('/users/:upn/blocks', async (c) => {
        const user = await userOr404(upnParam(c));
        await clearBlocks(deps, user.id);
        deps.logger.info({ event: 'user.blocks_cleared', upn: user.upn }, 'blocks cleared');
        return c.body(null, 204);
      })
      .post('/users/:upn/pairings', async (c) => {
        const user = await userOr404(upnParam(c));
        const offer = await createPairingOffer(deps, user);
        return c.json({ token: offer.token, link: offer.link, expiresAt: offer.expiresAt }, 201);
      })
      .post('/users/:upn/tap', async (c) => {
        const user = await userOr404(upnParam(c));
        const body = await readJson(c, IssueTapBody);
        const tap = await store.taps.issue(user.id, body.lifetimeMinutes * 60_000, body.oneTime, clock.now());
        deps.logger.info({ event: 'tap.issued', upn: user.upn, oneTime: body.oneTime }, 'temporary access pass issued');
        return c.json({ code: tap.code, expiresAt: tap.expiresAt }, 201);
      })
      .delete('/devices/:deviceId', async (c) => {
        const removed = await revokeDevice(deps, c.req.param('deviceId'));
        if (!removed) throw new ApiError(404, 'not_found', 'No such device.');
        return c.body(null, 204);
      })
      .get('/policy', async (c) => c.json(await store.policy.get()))
      .put('/policy', async (c) => {
        const policy = await readJson(c, PolicySchema);
        await store.policy.put(policy, clock.now());
        deps.logger.info({ event: 'policy.updated' }, 'policy updated');
        return c.json(policy);
      })
      .get('/signins', async (c) => {
        const query = parse(
          SigninsQuery,
          // Empty filters (`?upn=&limit=`, as section 7 writes the call) mean no filter.
          Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== '')),
        );
        if (!query.ok) throw new ApiError(400, 'invalid_request', query.message);
        const rows = await store.signins.list({ ...query.value, limit: query.value.limit ?? 100 });
        return c.json({ signins: rows.map(signinLogEntry) });
      })
  );
}
