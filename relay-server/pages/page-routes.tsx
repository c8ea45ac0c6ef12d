/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { RelayDeps } from '../relay-deps.ts';
import { accountRoutes } from '../account/account-page-routes.tsx';
import { adminPageRoutes } from '../admin/admin-page-routes.tsx';
import { assetRoutes } from './asset-routes.ts';
import { MessagePage } from './message-page.tsx';
import { pageSession } from './page-session.ts';
import { PairPage } from '../pairing/pair-page.tsx';
import { renderPage } from './render-page.ts';
import { signinPageRoutes } from '../signin/signin-page-routes.tsx';

/** Every server-rendered page and its assets (docs/protocol.md leaves pages to us; docs/contracts.md names their test ids). */
export function pageRoutes(deps: RelayDeps) {
  const app = new Hono();
  app.route('/', assetRoutes());
  // The demo opens on its demo app's sign-in; a relay of its own on its own sign-in page.
  app.get('/', (c) => c.redirect(deps.config.demo ? '/signin?app=demo' : '/signin', 302));
  app.get('/pair', (c) => renderPage(c, <PairPage />));
  app.route('/', signinPageRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/admin', adminPageRoutes(deps));
  app.get('*', async (c) => {
    const session = await pageSession(c, deps);
    return renderPage(
      c,
      <MessagePage
        title="Page not found"
        viewer={session?.viewer}
        links={[{ href: session ? '/me' : '/signin', label: session ? 'Go to your account' : 'Go to sign-in' }]}
      >
        <p>There is no page at this address.</p>
      </MessagePage>,
      404,
    );
  });
  return app;
}
