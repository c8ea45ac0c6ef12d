import { Hono } from 'hono';
import type { RelayDeps } from '../relay-deps.ts';
import { assetRoutes } from './asset-routes.ts';

/** The pages' assets and the front door; each flow's pages are joined beside these in app.ts. */
export function pageRoutes(deps: RelayDeps) {
  const app = new Hono();
  app.route('/', assetRoutes());
  // The demo opens on its demo app's sign-in; a relay of its own on its own sign-in page.
  app.get('/', (c) => c.redirect(deps.config.demo ? '/signin?app=demo' : '/signin', 302));
  return app;
}
