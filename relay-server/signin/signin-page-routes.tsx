/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { UpnSchema } from '../../protocol/messages.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { parse } from '../../protocol/parse.ts';
import { clientContext } from '../http/client-context.ts';
import { allowsFlow } from '../policy/evaluate-policy.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { currentSession, endSession, startSession } from '../session/browser-session.ts';
import { rememberBrowser } from './familiar-cookie.ts';
import { appName } from './known-apps.ts';
import { passwordThrottled } from './signin-service.ts';
import { CsrfError, csrfToken, readProtectedForm } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { MessagePage } from '../pages/message-page.tsx';
import { renderPage } from '../pages/render-page.ts';
import { PasswordPage } from './password-page.tsx';
import { passwordSignin } from './password-signin.ts';
import { SigninPage, passwordUrl } from './signin-page.tsx';

type AppChoice = { ok: true; app: { id: string; name: string } | undefined } | { ok: false };

/** `?app=` names one of the relay's known applications; absent means no particular one. */
function chosenApp(appId: string | undefined): AppChoice {
  if (appId === undefined || appId === '') return { ok: true, app: undefined };
  const name = appName(appId);
  return name === undefined ? { ok: false } : { ok: true, app: { id: appId, name } };
}

function unknownAppPage(c: Context) {
  return renderPage(
    c,
    <MessagePage title="Unknown application" links={[{ href: '/signin?app=demo', label: 'Sign in to Countersign Demo' }]}>
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


const upnQuery = (value: string | undefined) => (value !== undefined && parse(UpnSchema, value).ok ? value : undefined);

/** The sign-in pages: phone sign-in with number matching, and the password page. */
export function signinPageRoutes(deps: RelayDeps) {
  const passwordlessOffered = async () => {
    const policy = await deps.store.policy.get();
    return { policy, passwordless: policy.enabled && allowsFlow(policy, 'passwordless') };
  };

  const showPasswordPage = async (c: Context, props: { app: { id: string; name: string } | undefined; upn?: string | undefined; error?: string | undefined }, status: 200 | 400 | 401 | 429 | 503 = 200) => {
    const { passwordless } = await passwordlessOffered();
    return renderPage(c, <PasswordPage csrf={csrfToken(c, deps.relayOrigin())} passwordless={passwordless} {...props} />, status);
  };

  return new Hono()
    .get('/signin', async (c) => {
      const choice = chosenApp(c.req.query('app'));
      if (!choice.ok) return unknownAppPage(c);
      const { policy, passwordless } = await passwordlessOffered();
      return renderPage(c, <SigninPage app={choice.app} matchMode={policy.match.mode} passwordless={passwordless} upn={upnQuery(c.req.query('upn'))} />);
    })
    .get('/signin/password', async (c) => {
      const choice = chosenApp(c.req.query('app'));
      if (!choice.ok) return unknownAppPage(c);
      return showPasswordPage(c, { app: choice.app, upn: upnQuery(c.req.query('upn')) });
    })
    .post('/signin/password', async (c) => {
      let form;
      try {
        form = await readProtectedForm(c, deps.relayOrigin());
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailurePage(c, { href: '/signin/password', label: 'Go back and try again' });
        throw error;
      }
      const choice = chosenApp(form.value('app'));
      if (!choice.ok) return unknownAppPage(c);
      const { app } = choice;
      const upn = (form.value('upn') ?? '').trim();
      const secret = form.value('password') ?? '';
      const incorrect = 'The username or password is incorrect.';
      if (!parse(UpnSchema, upn).ok || secret.length === 0 || secret.length > LIMITS.passwordChars) {
        return showPasswordPage(c, { app, upn: upnQuery(upn), error: incorrect }, 400);
      }
      const context = clientContext(c, deps.config.trustProxy);
      const outcome = await passwordSignin(deps, { upn, secret, app, context });
      switch (outcome.kind) {
        case 'invalid':
          return showPasswordPage(c, { app, upn, error: incorrect }, 401);
        case 'throttled':
          c.header('Retry-After', String(outcome.retryAfterSeconds));
          return showPasswordPage(c, { app, upn, error: passwordThrottled(outcome.retryAfterSeconds * 1000).message }, 429);
        case 'busy':
          c.header('Retry-After', String(outcome.retryAfterSeconds));
          return showPasswordPage(c, { app, upn, error: outcome.message }, 503);
        case 'push_refused':
          if (outcome.error.retryAfterSeconds !== undefined) c.header('Retry-After', String(outcome.error.retryAfterSeconds));
          return showPasswordPage(
            c,
            {
              app,
              upn,
              error:
                outcome.error.code === 'rate_limited'
                  ? `Your password was right, but your authenticator can’t be asked to approve right now: ${outcome.error.message}`
                  : 'Your password was right, but the approval request could not be sent. Try again later.',
            },
            429,
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
              retryUrl={passwordUrl(outcome.user.upn, app?.id)}
            />,
          );
        }
        case 'session':
          await startSession(c, deps.store, deps.clock, deps.relayOrigin(), outcome.user.id, outcome.amr);
          await rememberBrowser(c, deps.signins, deps.relayOrigin(), outcome.user.id);
          return c.redirect('/me', 303);
      }
    })
    .post('/signout', async (c) => {
      try {
        // A signed-in user's form carries their session's token (pages/csrf.ts).
        const signedIn = await currentSession(c, deps.store, deps.clock);
        await readProtectedForm(c, deps.relayOrigin(), signedIn?.session);
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailurePage(c, { href: '/me', label: 'Go back and try again' });
        throw error;
      }
      await endSession(c, deps.store);
      return c.redirect('/signin?app=demo', 303);
    });
}
