/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { UpnSchema } from '../../protocol/messages.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { parse } from '../../protocol/parse.ts';
import { clientContext } from '../http/client-context.ts';
import { allowsFlow } from '../policy/evaluate-policy.ts';
import type { WithSignins } from './signin-deps.ts';
import type { Store } from '../store/store.ts';
import { PROVIDER_PAGE_CSP } from '../oidc/provider-config.ts';
import { waitingAppCancelPath, waitingAppPath } from './waiting-app.ts';
import { currentSession, endSession, startSession } from '../session/browser-session.ts';
import { rememberBrowser } from './familiar-cookie.ts';
import { returnToProtectedSite, returningToProtectedSite } from '../forward-auth/signin-return.ts';
import { passwordThrottled } from './signin-service.ts';
import { PUSH_BLOCKED_FOR_THE_PERSON, PushBlockedError } from './push-blocked.ts';
import type { ApiError } from '../api-error.ts';
import { CsrfError, csrfToken, readProtectedForm } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { MessagePage } from '../pages/message-page.tsx';
import { renderPage } from '../pages/render-page.ts';
import { PasswordPage } from './password-page.tsx';
import { passwordSignin } from './password-signin.ts';
import { SigninPage, passwordUrl } from './signin-page.tsx';

type AppChoice = { ok: true; app: { id: string; name: string } | undefined } | { ok: false };

/** `?app=` names an app registered on the relay (its client id); absent means no particular one. */
async function chosenApp(store: Store, appId: string | undefined): Promise<AppChoice> {
  if (appId === undefined || appId === '') return { ok: true, app: undefined };
  const app = await store.apps.byClientId(appId);
  return app ? { ok: true, app: { id: app.clientId, name: app.name } } : { ok: false };
}

function unknownAppPage(c: Context) {
  return renderPage(
    c,
    <MessagePage title="Unknown application" links={[{ href: '/signin', label: 'Sign in to Countersign' }]}>
      <div class="status" data-testid="signin-status" data-state="error" role="alert">
        <span class="status-icon" aria-hidden="true">
          !
        </span>
        <div class="status-text">
          <p class="status-title">This sign-in link names an application this relay doesn't know.</p>
          <p class="status-detail">Check the link you followed, or ask the application's owner for the right one.</p>
        </div>
      </div>
    </MessagePage>,
    400,
  );
}

/** Where a Temporary Access Pass sign-in lands: Security info, opened at its Add-authenticator step. */
export const ADD_AUTHENTICATOR_URL = '/security-info?add=authenticator';

/** The password was right but no approval can be asked for: say why, and when or who can help. */
function pushRefusedMessage(error: ApiError): string {
  const start = 'Your password was right, but';
  // The password proved who this is: tell them why and who can clear it (strangers hear only "paused").
  if (error instanceof PushBlockedError) return `${start} ${PUSH_BLOCKED_FOR_THE_PERSON}`;
  // Every rate_limited message ends with when to try again (api-error.ts rateLimited).
  if (error.code === 'rate_limited') return `${start} your authenticator can’t be asked to approve right now. ${error.message}`;
  return `${start} none of your authenticators can be asked to approve. Ask your administrator for help.`;
}

const upnQuery = (value: string | undefined) => (value !== undefined && parse(UpnSchema, value).ok ? value : undefined);

/** The sign-in pages: phone sign-in with number matching, and the password page. */
export function signinPageRoutes(deps: WithSignins) {
  const passwordlessOffered = async () => {
    const policy = await deps.store.policy.get();
    return { policy, passwordless: policy.enabled && allowsFlow(policy, 'passwordless') };
  };

  const showPasswordPage = async (
    c: Context,
    props: {
      app: { id: string; name: string } | undefined;
      upn?: string | undefined;
      error?: string | undefined;
      interaction?: string | undefined;
    },
    status: 200 | 400 | 401 | 429 | 503 = 200,
  ) => {
    const { passwordless } = await passwordlessOffered();
    // On the way back to an app, the form's answer ends in a redirect to the app's origin.
    // So does one for a protected site (forward auth), whose address /me then sends the browser to.
    if (waitingAppPath(props.interaction) || returningToProtectedSite(c)) c.header('Content-Security-Policy', PROVIDER_PAGE_CSP);
    return renderPage(c, <PasswordPage csrf={csrfToken(c, deps.relayOrigin())} passwordless={passwordless} {...props} />, status);
  };

  return new Hono()
    .get('/signin', async (c) => {
      // A protected site's proxy sent the person here (`?rd=`, docs/protocol.md section 10).
      const backToSite = await returnToProtectedSite(c, deps);
      if (backToSite) return backToSite;
      const choice = await chosenApp(deps.store, c.req.query('app'));
      if (!choice.ok) return unknownAppPage(c);
      const { policy, passwordless } = await passwordlessOffered();
      const interaction = c.req.query('interaction');
      return renderPage(
        c,
        <SigninPage
          app={choice.app}
          matchMode={policy.match.mode}
          passwordless={passwordless}
          upn={upnQuery(c.req.query('upn'))}
          interaction={waitingAppPath(interaction) ? interaction : undefined}
          appCancelUrl={waitingAppCancelPath(interaction)}
        />,
      );
    })
    .get('/signin/password', async (c) => {
      const choice = await chosenApp(deps.store, c.req.query('app'));
      if (!choice.ok) return unknownAppPage(c);
      const interaction = c.req.query('interaction');
      return showPasswordPage(c, {
        app: choice.app,
        upn: upnQuery(c.req.query('upn')),
        interaction: waitingAppPath(interaction) ? interaction : undefined,
      });
    })
    .post('/signin/password', async (c) => {
      let form;
      try {
        form = await readProtectedForm(c, deps.relayOrigin());
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailurePage(c, { href: '/signin/password', label: 'Go back and try again' });
        throw error;
      }
      const choice = await chosenApp(deps.store, form.value('app'));
      if (!choice.ok) return unknownAppPage(c);
      const { app } = choice;
      const interaction = waitingAppPath(form.value('interaction')) ? form.value('interaction') : undefined;
      const upn = (form.value('upn') ?? '').trim();
      const secret = form.value('password') ?? '';
      const incorrect = 'The username or password is incorrect.';
      if (!parse(UpnSchema, upn).ok || secret.length === 0 || secret.length > LIMITS.passwordChars) {
        return showPasswordPage(c, { app, interaction, upn: upnQuery(upn), error: incorrect }, 400);
      }
      const context = clientContext(c, deps.config.trustProxy);
      const outcome = await passwordSignin(deps, { upn, secret, app, context });
      switch (outcome.kind) {
        case 'invalid':
          return showPasswordPage(c, { app, interaction, upn, error: incorrect }, 401);
        case 'throttled':
          c.header('Retry-After', String(outcome.retryAfterSeconds));
          return showPasswordPage(
            c,
            { app, interaction, upn, error: passwordThrottled(outcome.retryAfterSeconds * 1000, outcome.scope).message },
            429,
          );
        case 'busy':
          // Refused for this client alone (the fair line, security/password-line.ts): its message says what works.
          c.header('Retry-After', String(outcome.retryAfterSeconds));
          return showPasswordPage(c, { app, interaction, upn, error: outcome.message }, 429);
        case 'push_refused':
          if (outcome.error.retryAfterSeconds !== undefined) c.header('Retry-After', String(outcome.error.retryAfterSeconds));
          return showPasswordPage(
            c,
            { app, interaction, upn, error: pushRefusedMessage(outcome.error) },
            outcome.error.status === 429 ? 429 : 400,
          );
        case 'push': {
          const { policy } = await passwordlessOffered();
          return renderPage(
            c,
            <SigninPage
              app={app}
              matchMode={policy.match.mode}
              passwordless={false}
              started={{ ...outcome.request, upn: outcome.user.upn, serverNow: deps.clock.now() }}
              retryUrl={passwordUrl(outcome.user.upn, app?.id, interaction)}
              interaction={interaction}
              appCancelUrl={waitingAppCancelPath(interaction)}
            />,
          );
        }
        case 'session':
          await startSession(c, deps.store, deps.clock, deps.relayOrigin(), outcome.user.id, outcome.amr);
          await rememberBrowser(c, deps.signins, deps.relayOrigin(), outcome.user.id);
          // The app this sign-in was started for (OpenID Connect) comes first. Otherwise /me sends on to
          // a remembered admin page (session/return-to.ts); a Temporary Access Pass exists to add an
          // authenticator, so it goes there first and the admin page keeps waiting.
          return c.redirect(waitingAppPath(interaction) ?? (outcome.amr.includes('otp') ? ADD_AUTHENTICATOR_URL : '/me'), 303);
      }
    })
    .post('/signout', async (c) => {
      try {
        // A signed-in user's form carries their session's token (pages/csrf.ts).
        const signedIn = await currentSession(c, deps.store, deps.clock, deps.relayOrigin());
        await readProtectedForm(c, deps.relayOrigin(), signedIn?.session);
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailurePage(c, { href: '/me', label: 'Go back and try again' });
        throw error;
      }
      await endSession(c, deps.store, deps.relayOrigin());
      return c.redirect('/signed-out', 303);
    });
}
