/** @jsxImportSource hono/jsx */
import { LocalTime } from '../../pages/local-time.tsx';
import { Notice } from '../../pages/layout.tsx';
import type { NewTap } from './new-tap-cookie.ts';

/** The new pass, once: the Copy button appears with admin.js, which needs the clipboard. */
export function NewTapShown({ tap }: { tap: NewTap }) {
  return (
    <Notice kind="info">
      <p>
        Temporary Access Pass ({tap.oneTime ? 'one-time' : 'multi-use'}), valid until <LocalTime at={tap.expiresAt} />. Note it down now: it
        is shown only this once.
      </p>
      <div class="tap-row">
        <code class="secret" id="tap-code" data-testid="tap-code">
          {tap.code}
        </code>
        <button
          type="button"
          class="button small secondary"
          data-copy="tap-code"
          data-copy-status="tap-copied"
          data-testid="copy-tap"
          hidden
        >
          Copy
        </button>
      </div>
      <p class="small" id="tap-copied" data-testid="tap-copied" role="status" aria-live="polite"></p>
    </Notice>
  );
}
