import { Hono } from 'hono';
import { ClientIdSchema, CreateAppBody } from '../../protocol/admin-messages.ts';
import { parse } from '../../protocol/parse.ts';
import { ApiError } from '../api-error.ts';
import { requireAdminToken } from '../http/admin-bearer.ts';
import { readJson } from '../http/read-json.ts';
import type { WithOpenId } from '../oidc/openid-deps.ts';
import { appView, registerApp } from './register-app.ts';

/** `/api/v1/admin/apps` (docs/protocol.md section 7): register, list and delete the apps that sign people in. */
export function appsApiRoutes(deps: WithOpenId) {
  const { store, clock } = deps;
  return (
    new Hono()
      .use('*', requireAdminToken(deps.config.adminToken))
      .post('/', async (c) => {
        const body = await readJson(c, CreateAppBody);
        const { app, clientSecret } = await registerApp(store, body, clock.now());
        deps.logger.info({ event: 'app.registered', clientId: app.clientId, name: app.name }, 'app registered');
        c.header('Cache-Control', 'no-store');
        return c.json({ ...appView(app), ...(clientSecret ? { clientSecret } : {}) }, 201);
      })
      .get('/', async (c) => c.json({ apps: (await store.apps.list()).map(appView) }))
      .delete('/:clientId', async (c) => {
        const clientId = c.req.param('clientId');
        if (!parse(ClientIdSchema, clientId).ok) throw new ApiError(400, 'invalid_request', 'clientId is invalid');
        if (!(await store.apps.remove(clientId))) throw new ApiError(404, 'not_found', 'No such app.');
        deps.logger.info({ event: 'app.deleted', clientId }, 'app deleted');
        return c.body(null, 204);
      })
      // Not in docs/protocol.md section 7 yet (proposed): new ID token signing keys now; the old
      // ones stay published until the tokens they signed expire.
      .post('/signing-keys/rotate', async (c) => {
        if (!deps.openid) throw new ApiError(404, 'not_found', 'The OpenID Provider is not running.');
        await deps.openid.rotateKeys();
        deps.logger.info({ event: 'oidc.keys_rotated' }, 'signing keys rotated');
        return c.body(null, 204);
      })
  );
}
