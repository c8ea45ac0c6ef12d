import { Hono } from 'hono';
import { LIMITS } from '../protocol/limits.ts';
import { ApiError } from './api-error.ts';
import { errorResponse } from './http/error-body.ts';
import { limitBody } from './http/limit-body.ts';
import { isDatabaseUnavailable } from './store/database-unavailable.ts';
import { metricsAllowed } from './ops/metrics.ts';
import { notFoundPageRoutes } from './pages/not-found-page-routes.tsx';
import { pageRoutes } from './pages/page-routes.tsx';
import type { WithOpenId } from './oidc/openid-deps.ts';
import type { WithSignins } from './signin/signin-deps.ts';
import { accountRoutes } from './account/account-page-routes.tsx';
import { adminRoutes } from './admin/admin-api-routes.ts';
import { adminPageRoutes } from './admin/admin-page-routes.tsx';
import { appsApiRoutes } from './apps/apps-api-routes.ts';
import { interactionRoutes } from './oidc/interaction-routes.tsx';
import { INTERACTION_PATH } from './oidc/provider-config.ts';
import { providerRoutes } from './oidc/provider-routes.ts';
import { pairPageRoutes } from './devices/pair-page-routes.tsx';
import { pairingRoutes } from './devices/pairing-api-routes.ts';
import { signinRoutes } from './signin/signin-api-routes.ts';
import { signinPageRoutes } from './signin/signin-page-routes.tsx';
import { forwardAuthRoutes } from './forward-auth/forward-auth-routes.ts';
import { rulesApiRoutes } from './forward-auth/rules-api-routes.ts';

/**
 * The relay's HTTP side. Everything with state comes in through `deps`. The security headers are
 * added by the HTTP server around it (http/security-headers.ts).
 */
export function createApp(deps: WithSignins & WithOpenId) {
  const app = new Hono();
  // Before every middleware: the provider answers its paths itself, as it did beside this app.
  if (deps.openid) app.route('/', providerRoutes(deps.openid));
  app.use('*', async (c, next) => {
    if (!deps.logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    await next();
    // The path only: query strings may carry the SSE browser token.
    deps.logger.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'http',
    );
  });
  app.use(
    '*',
    limitBody(LIMITS.httpBodyBytes, (c) => errorResponse(c, new ApiError(413, 'payload_too_large', 'The request body is over 16 KiB.'))),
  );
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) =>
    ((await deps.ops?.ready()) ?? true) ? c.json({ status: 'ready' }) : c.json({ status: 'not_ready' }, 503),
  );
  app.get('/metrics', async (c) => {
    if (!deps.ops) throw new ApiError(404, 'not_found', 'Metrics are not enabled.');
    if (!metricsAllowed(deps.config.metricsToken, c.req.header('authorization'))) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ApiError(401, 'unauthorized', 'Metrics need the METRICS_TOKEN as a bearer token.');
    }
    return c.text(await deps.ops.metrics.registry.metrics(), 200, { 'content-type': deps.ops.metrics.registry.contentType });
  });
  app.route('/api/v1/pairings', pairingRoutes(deps));
  app.route('/api/v1/signins', signinRoutes(deps));
  app.route('/api/v1/admin/apps', appsApiRoutes(deps));
  app.route('/api/v1/admin/forward-auth', rulesApiRoutes(deps));
  app.route('/api/v1/forward-auth', forwardAuthRoutes(deps));
  app.route('/api/v1/admin', adminRoutes(deps));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'No such endpoint.');
  });
  if (deps.openid) app.route(INTERACTION_PATH, interactionRoutes(deps, deps.openid));
  // Every server-rendered page (docs/protocol.md leaves pages to us; docs/contracts.md names their test ids).
  app.route('/', pageRoutes(deps));
  app.route('/', pairPageRoutes());
  app.route('/', signinPageRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/admin', adminPageRoutes(deps));
  app.route('/', notFoundPageRoutes(deps));
  app.onError((error, c) => {
    if (isDatabaseUnavailable(error))
      deps.logger.warn({ path: c.req.path, code: (error as { code?: string }).code }, 'database unavailable');
    else if (!(error instanceof ApiError)) deps.logger.error({ err: error, path: c.req.path }, 'unhandled error');
    return errorResponse(c, error);
  });
  app.notFound((c) =>
    c.req.path.startsWith('/api/') ? errorResponse(c, new ApiError(404, 'not_found', 'No such endpoint.')) : c.text('Not found', 404),
  );
  return app;
}
