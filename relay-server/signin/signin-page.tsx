/** @jsxImportSource hono/jsx */
import { ASSETS } from '../pages/asset-routes.ts';
import { UpnField } from './upn-field.tsx';
import { Layout, Notice } from '../pages/layout.tsx';
import { PUSH_BLOCKED_MESSAGE, WHAT_WORKS } from './push-blocked.ts';
import { waitingAppPath } from './waiting-app.ts';

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
  /**
   * The started request upgrades the signed-in session instead of signing someone in (adding
   * another authenticator needs an approval on one): its own words, no way to another account,
   * and back to `returnTo` once approved.
   */
  stepUp?: { returnTo: string } | undefined;
  /** An app's OpenID Connect sign-in is waiting on this page: where a denial sends the person back to it. */
  appCancelUrl?: string | undefined;
  /** That sign-in's interaction uid (signin/waiting-app.ts): the sign-in returns to it, and the links carry it. */
  interaction?: string | undefined;
}

/** What works when requests are paused, as a sentence of its own. */
const WHAT_WORKS_SENTENCE = WHAT_WORKS.charAt(0).toUpperCase() + WHAT_WORKS.slice(1);
/** The refusal's words as two sentences, for whoever reads the page (it may be a stranger): what is paused, what works. */
const PAUSED_DETAIL = PUSH_BLOCKED_MESSAGE.replace(`; ${WHAT_WORKS}`, `. ${WHAT_WORKS_SENTENCE}`);

/** What the page asks when adding an authenticator needs an approval on one first. */
export const STEP_UP_TITLE = 'Approve on one of your authenticators to add another';

export function passwordUrl(upn: string | undefined, appId: string | undefined, interaction?: string): string {
  const query = new URLSearchParams();
  if (upn) query.set('upn', upn);
  if (appId) query.set('app', appId);
  if (interaction) query.set('interaction', interaction);
  const search = query.toString();
  return `/signin/password${search ? `?${search}` : ''}`;
}

/**
 * The sign-in page: username, then the number to match with a live countdown, then the outcome.
 * Every step is in the markup; /assets/signin.js shows one at a time and talks to the JSON API.
 */
export function SigninPage({ app, matchMode, passwordless, upn, started, retryUrl, stepUp, appCancelUrl, interaction }: SigninPageProps) {
  const toPassword = passwordUrl(started?.upn ?? upn, app?.id, interaction);
  const verb = matchMode === 'choose' ? 'choose' : 'enter';
  const waitTitle = stepUp ? STEP_UP_TITLE : 'Approve sign-in request';
  return (
    <Layout title={stepUp ? 'Approve to add an authenticator' : 'Sign in'} scripts={passwordless || started ? [ASSETS.signin.url] : []}>
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
        data-change-user-url={started && !stepUp ? passwordUrl(undefined, app?.id, interaction) : undefined}
        data-return-to={stepUp?.returnTo ?? waitingAppPath(interaction)}
        data-app-cancel-url={appCancelUrl}
        data-wait-title={stepUp ? waitTitle : undefined}
        data-failed-title={stepUp ? 'The approval did not go through' : undefined}
        data-what-works={WHAT_WORKS_SENTENCE}
        data-paused-detail={PAUSED_DETAIL}
      >
        <section id="step-upn" hidden={Boolean(started)}>
          <h1>Sign in</h1>
          <p class="muted">{app ? `to continue to ${app.name}` : 'with your Countersign account'}</p>
          {/* Without the script (or without passwordless), the username goes on to the password page. */}
          <form data-testid="upn-form" method="get" action="/signin/password" novalidate>
            {app ? <input type="hidden" name="app" value={app.id} /> : null}
            {interaction ? <input type="hidden" name="interaction" value={interaction} /> : null}
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
          <h1 id="wait-title" data-testid="wait-title">
            {waitTitle}
          </h1>
          <p id="instruction">
            {stepUp
              ? `Open one of your authenticators and ${verb} this number. Then you can add another.`
              : `Open your authenticator and ${verb} this number to sign in.`}
          </p>
          <div class="match" id="match">
            <span class="match-number" data-testid="match-number">
              {started?.number ?? ''}
            </span>
          </div>
          {/* Sign-in by code (docs/protocol.md section 5): 8 digits in two groups of 4, typed into the authenticator. */}
          <div class="match" id="code-block" hidden>
            <span class="match-number" data-testid="signin-code" id="signin-code"></span>
          </div>
          <div class="countdown" data-testid="countdown" role="timer" aria-live="off"></div>
        </section>

        <div
          class="status"
          data-testid="signin-status"
          data-state={started ? 'pending' : ''}
          role="status"
          aria-live="polite"
          hidden={!started}
        >
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

        {stepUp ? (
          <div class="links">
            <a href="/security-info">Back to Security info</a>
          </div>
        ) : (
          <div class="links">
            {/* After a password the approval is the second factor: a password again is no way around it. */}
            {started ? null : (
              <a href={toPassword} data-password-link data-testid="password-link">
                Use your password instead
              </a>
            )}
            {!started && passwordless ? (
              <button type="button" class="link-button" id="code-link" data-testid="code-link">
                Sign in with a code instead
              </button>
            ) : null}
            {started || passwordless ? (
              <button type="button" class="link-button" id="change-user" data-testid="change-user" hidden={!started}>
                Sign in as someone else
              </button>
            ) : null}
          </div>
        )}
      </div>
    </Layout>
  );
}
