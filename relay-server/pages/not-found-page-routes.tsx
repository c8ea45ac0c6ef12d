/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { RelayDeps } from '../relay-deps.ts';
import { MessagePage } from './message-page.tsx';
import { pageSession } from './page-session.ts';
import { renderPage } from './render-page.ts';

/** Any address no page answered; joined last (app.ts), after every flow's pages. */
export function notFoundPageRoutes(deps: RelayDeps) {
  return new Hono().get('*', async (c) => {
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
}
