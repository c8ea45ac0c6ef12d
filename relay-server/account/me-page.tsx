/** @jsxImportSource hono/jsx */
import { LocalTime } from '../pages/local-time.tsx';
import { CsrfField, Layout } from '../pages/layout.tsx';
import type { PageSession } from '../pages/page-session.ts';
import { describeAmr } from '../pages/page-session.ts';
import { PushPausedNotice } from './push-paused-notice.tsx';

/** The signed-in page: who you are and how you signed in. */
export function MePage({ session, appName }: { session: PageSession; appName?: string | undefined }) {
  const { user, viewer } = session;
  return (
    <Layout title="Signed in" viewer={viewer}>
      <h1>You're signed in as {user.display_name}</h1>
      {user.push_blocked ? <PushPausedNotice /> : null}
      {appName ? <p class="muted">You can now continue to {appName}.</p> : null}
      <table>
        <tbody>
          <tr>
            <th scope="row">Account</th>
            <td data-testid="signed-in-as" class="mono">
              {user.upn}
            </td>
          </tr>
          <tr>
            <th scope="row">Signed in with</th>
            <td data-testid="signed-in-method">{describeAmr(session.amr)}</td>
          </tr>
          <tr>
            <th scope="row">Since</th>
            <td data-testid="signed-in-since">
              <LocalTime at={session.session.created_at} />
            </td>
          </tr>
        </tbody>
      </table>
      <div class="links">
        <a href="/security-info">Security info: your authenticators</a>
        {viewer.isAdmin ? <a href="/admin">Admin: policy, users and sign-in log</a> : null}
      </div>
      <form method="post" action="/signout" class="actions">
        <CsrfField token={viewer.csrf} />
        <button type="submit" class="button secondary">
          Sign out
        </button>
      </form>
    </Layout>
  );
}
