/** @jsxImportSource hono/jsx */
import { ASSETS } from '../asset-routes.ts';
import { UpnField } from './upn-field.tsx';
import { Layout, Notice } from '../layout.tsx';

/** A push request the server already made (password first, then approval), shown straight away. */
export interface StartedRequest {
  requestId: string;
  browserToken: string;
  number: string;
  expiresAt: number;
  upn: string;
  serverNow: number;
}

export interface SigninPageProps {
  app: { id: string; name: string } | undefined;
  matchMode: 'type' | 'choose';
  /** False when the policy offers no passwordless sign-in: the username step goes to the password page. */
  passwordless: boolean;
  upn?: string | undefined;
  started?: StartedRequest | undefined;
  /** Where "Try again" goes for a started request (back to the password page). */
  retryUrl?: string | undefined;
}

export function passwordUrl(upn: string | undefined, appId: string | undefined): string {
  const query = new URLSearchParams();
  if (upn) query.set('upn', upn);
  if (appId) query.set('app', appId);
  const search = query.toString();
  return `/signin/password${search ? `?${search}` : ''}`;
}

/**
 * The sign-in page: username, then the number to match with a live countdown, then the outcome.
 * Every step is in the markup; /assets/signin.js shows one at a time and talks to the JSON API.
 */
export function SigninPage({ app, matchMode, passwordless, upn, started, retryUrl }: SigninPageProps) {
  const toPassword = passwordUrl(started?.upn ?? upn, app?.id);
  const verb = matchMode === 'choose' ? 'choose' : 'enter';
  return (
    <Layout title="Sign in" scripts={passwordless || started ? [ASSETS.signin.url] : []}>
      <div
        id="signin"
        data-app={app?.id ?? ''}
        data-match-mode={matchMode}
        data-upn={started?.upn ?? upn ?? ''}
        data-request-id={started?.requestId}
        data-browser-token={started?.browserToken}
        data-number={started?.number}
        data-expires-at={started ? String(started.expiresAt) : undefined}
        data-server-now={started ? String(started.serverNow) : undefined}
        data-retry-url={retryUrl}
      >
        <section id="step-upn" hidden={Boolean(started)}>
          <h1>Sign in</h1>
          <p class="muted">{app ? `to continue to ${app.name}` : 'with your Countersign account'}</p>
          {/* Without the script (or without passwordless), the username goes on to the password page. */}
          <form data-testid="upn-form" method="get" action="/signin/password" novalidate>
            {app ? <input type="hidden" name="app" value={app.id} /> : null}
            <UpnField value={upn} autofocus placeholder="someone@example.com" />
            <div class="actions">
              <button type="submit" class="button">
                Next
              </button>
            </div>
          </form>
          {passwordless ? (
            <noscript>
              <Notice kind="info">
                <p>
                  Phone sign-in needs JavaScript. <a href={toPassword}>Use your password instead</a>.
                </p>
              </Notice>
            </noscript>
          ) : null}
        </section>

        <section id="step-wait" hidden={!started}>
          <div class="identity" id="wait-upn">
            {started?.upn ?? ''}
          </div>
          <h1 id="wait-title">Approve sign-in request</h1>
          <p id="instruction">Open your authenticator and {verb} this number to sign in.</p>
          <div class="match" id="match">
            <span class="match-number" data-testid="match-number">
              {started?.number ?? ''}
            </span>
          </div>
          <div class="countdown" data-testid="countdown" role="timer" aria-live="off"></div>
        </section>

        <div class="status" data-testid="signin-status" data-state={started ? 'pending' : ''} role="status" aria-live="polite" hidden={!started}>
          <span class="status-icon" aria-hidden="true"></span>
          <div class="status-text">
            <p class="status-title" id="status-title">
              {started ? 'Waiting for your approval…' : ''}
            </p>
            <p class="status-detail" id="status-detail"></p>
          </div>
        </div>

        <div class="actions">
          <button type="button" class="button secondary" id="cancel-button" hidden={!started}>
            Cancel
          </button>
          <button type="button" class="button" id="retry-button" hidden>
            Try again
          </button>
        </div>

        <div class="links">
          <a href={toPassword} data-password-link data-testid="password-link">
            Use your password instead
          </a>
          {started || passwordless ? (
            <button type="button" class="link-button" id="change-user" hidden={!started}>
              Sign in as someone else
            </button>
          ) : null}
        </div>
      </div>
    </Layout>
  );
}
