/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { renderPage } from '../../pages/render-page.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { DAY_MS, readAuthMethodsActivity } from '../../store/activity-queries.ts';
import { adminGuard } from './admin-guard.tsx';
import { OVERVIEW_DAYS, OverviewPage } from './overview-views.tsx';

/** /admin/overview: users registered and not, 30 days of sign-ins by method and outcome, who needs attention, the apps. */
export function overviewRoutes(deps: RelayDeps) {
  const { admin } = adminGuard(deps);
  return new Hono().get(
    '/overview',
    admin(async (c, session) => {
      const now = deps.clock.now();
      // From the start of the first UTC day shown, so that day's bar is whole.
      const since = (Math.floor(now / DAY_MS) - OVERVIEW_DAYS + 1) * DAY_MS;
      const [activity, apps] = await Promise.all([readAuthMethodsActivity(deps.store, since, now), deps.store.apps.list()]);
      return renderPage(c, <OverviewPage viewer={session.viewer} activity={activity} apps={apps} now={now} />);
    }),
  );
}
