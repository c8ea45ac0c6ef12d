import { Hono } from 'hono';
import type { WithOpenId } from '../oidc/openid-deps.ts';
import type { WithSignins } from '../signin/signin-deps.ts';
import { appsRoutes } from './pages/apps-routes.tsx';
import { overviewRoutes } from './pages/overview-routes.tsx';
import { protectedSitesRoutes } from './pages/protected-sites-routes.tsx';
import { policyRoutes } from './pages/policy-routes.tsx';
import { signinLogRoutes } from './pages/signin-log-routes.tsx';
import { userActionRoutes } from './pages/user-action-routes.tsx';
import { userRoutes } from './pages/user-routes.tsx';
import { usersRoutes } from './pages/users-routes.tsx';

/**
 * The admin pages, one small app per page under admin/pages/, each behind the admin
 * guard (pages/admin-guard.tsx). Every form answers with a 303 to a GET page (post/redirect/get).
 */
export function adminPageRoutes(deps: WithSignins & WithOpenId) {
  return new Hono()
    .get('/', (c) => c.redirect('/admin/policy', 302))
    .route('/', overviewRoutes(deps))
    .route('/policy', policyRoutes(deps))
    .route('/', usersRoutes(deps))
    .route('/', userRoutes(deps))
    .route('/', userActionRoutes(deps))
    .route('/', signinLogRoutes(deps))
    .route('/', appsRoutes(deps))
    .route('/', protectedSitesRoutes(deps));
}
