/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { Notice, type Viewer } from './layout.tsx';
import { MessagePage } from './message-page.tsx';
import { renderPage } from './render-page.ts';

/** The one answer to a form that failed the CSRF check: 403, nothing changed, a way back. */
export function csrfFailurePage(c: Context, back: { href: string; label: string }, viewer?: Viewer) {
  return renderPage(
    c,
    <MessagePage title="Please try again" viewer={viewer} links={[back]}>
      <Notice kind="error">
        <p data-testid="csrf-error">
          This form expired or didn't come from this site, so nothing was changed. Reload the page and try again.
        </p>
      </Notice>
    </MessagePage>,
    403,
  );
}
