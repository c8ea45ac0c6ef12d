/** @jsxImportSource hono/jsx */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import type { Interaction, InteractionResults } from 'oidc-provider';
import { CSRF_FIELD, CsrfError, readProtectedForm, type FormFields } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { Layout } from '../pages/layout.tsx';
import { MessagePage } from '../pages/message-page.tsx';
import { pageSession, type PageSession } from '../pages/page-session.ts';
import { renderPage } from '../pages/render-page.ts';
import type { RelayDeps } from '../relay-deps.ts';
import type { RegisteredApp } from '../store/apps-store.ts';
import type { OpenIdProvider } from './openid-provider.ts';
import { GRANTED_SCOPE, INTERACTION_PATH, PROVIDER_PAGE_CSP } from './provider-config.ts';

type NodeBindings = { incoming: IncomingMessage; outgoing: ServerResponse };

/**
 * The provider's interactions (`/oidc/interaction/{uid}`), on the relay's own pages: sign in
 * (through /signin, with the app's name), or go straight back when the relay session is good and
 * fresh enough; consent once for apps that ask for it; `access_denied` back to the app when the
 * person cancels or their authenticator denied.
 */
export function interactionRoutes(deps: RelayDeps, openid: OpenIdProvider) {
  const node = (c: Context) => c.env as NodeBindings;
  const details = async (c: Context) => {
    const provider = await openid.current();
    try {
      const interaction = await provider.interactionDetails(node(c).incoming, node(c).outgoing);
      return interaction.uid === c.req.param('uid') ? { provider, interaction } : undefined;
    } catch {
      return undefined;
    }
  };
  const finish = async (c: Context, result: InteractionResults) => {
    const provider = await openid.current();
    const to = await provider.interactionResult(node(c).incoming, node(c).outgoing, result, { mergeWithLastSubmission: false });
    return c.redirect(to, 303);
  };
  const expired = (c: Context) =>
    renderPage(
      c,
      <MessagePage title="Sign-in could not continue">
        <p data-testid="oidc-error" data-code="interaction_expired">
          This sign-in took too long or was opened in another browser. Go back to the app and sign in again.
        </p>
      </MessagePage>,
      400,
    );

  return new Hono()
    .get('/:uid', async (c) => {
      const found = await details(c);
      if (!found) return expired(c);
      const { interaction } = found;
      // Its forms end in a redirect to the app, which `form-action 'self'` would block.
      c.header('Content-Security-Policy', PROVIDER_PAGE_CSP);
      const app = await deps.store.apps.byClientId(String(interaction.params.client_id));
      if (!app) return expired(c);
      const signedIn = await pageSession(c, deps);
      const selecting = interaction.prompt.name === 'select_account';
      if (interaction.prompt.name === 'login' || selecting) {
        const now = deps.clock.now();
        // prompt=login wants a sign-in made after the app asked: the first visit notes when that was.
        const signInAfter = typeof interaction.result?.signInAfter === 'number' ? interaction.result.signInAfter : now;
        if (interaction.result?.signInAfter === undefined) {
          interaction.result = { ...interaction.result, signInAfter };
          await saveUntilItsExpiry(interaction);
        }
        if (!signedIn || !freshEnough(signedIn, interaction.params, signInAfter, now)) {
          // The uid travels with the sign-in, which comes back here when it succeeds (signin/waiting-app.ts).
          return c.redirect(signInUrl(app.clientId, interaction.uid), 303);
        }
        // prompt=select_account: whoever is signed in since before the app asked is offered, not assumed.
        if (selecting && signedIn.session.created_at <= signInAfter) {
          return renderPage(c, <SelectAccountPage app={app} session={signedIn} uid={interaction.uid} />);
        }
        // The provider's session belongs to someone else (another person signed in to Countersign
        // in this browser): end it here, so the provider starts a new one instead of asking the
        // browser to sign the other person out first.
        if (interaction.session?.accountId && interaction.session.accountId !== signedIn.user.id) {
          await (await found.provider.Session.find(interaction.session.cookie))?.destroy();
          delete interaction.session;
          await saveUntilItsExpiry(interaction);
        }
        return finish(c, {
          ...(selecting ? { select_account: {} } : {}),
          login: { accountId: signedIn.user.id, amr: signedIn.amr, ts: Math.floor(signedIn.session.created_at / 1000), remember: false },
        });
      }
      if (interaction.prompt.name === 'consent' && signedIn && signedIn.user.id === interaction.session?.accountId) {
        return renderPage(c, <ConsentPage app={app} session={signedIn} uid={interaction.uid} />);
      }
      return expired(c);
    })
    .post('/:uid/consent', async (c) => {
      const found = await details(c);
      const signedIn = await pageSession(c, deps);
      if (!found || !signedIn || signedIn.user.id !== found.interaction.session?.accountId) return expired(c);
      let form: FormFields;
      try {
        form = await readProtectedForm(c, deps.relayOrigin(), signedIn.session);
      } catch (error) {
        if (error instanceof CsrfError)
          return csrfFailurePage(c, { href: `${INTERACTION_PATH}/${found.interaction.uid}`, label: 'Go back' }, signedIn.viewer);
        throw error;
      }
      const clientId = String(found.interaction.params.client_id);
      if (form.value('answer') !== 'allow') return finish(c, { error: 'access_denied', error_description: 'The person did not allow it.' });
      await deps.store.apps.recordConsent(signedIn.user.id, clientId, deps.clock.now());
      const grant = new found.provider.Grant({ accountId: signedIn.user.id, clientId });
      grant.addOIDCScope(GRANTED_SCOPE);
      return finish(c, { consent: { grantId: await grant.save() } });
    })
    .post('/:uid/select', async (c) => {
      const found = await details(c);
      const signedIn = await pageSession(c, deps);
      if (!found || !signedIn || found.interaction.prompt.name !== 'select_account') return expired(c);
      try {
        await readProtectedForm(c, deps.relayOrigin(), signedIn.session);
      } catch (error) {
        if (error instanceof CsrfError)
          return csrfFailurePage(c, { href: `${INTERACTION_PATH}/${found.interaction.uid}`, label: 'Go back' }, signedIn.viewer);
        throw error;
      }
      if (found.interaction.session?.accountId && found.interaction.session.accountId !== signedIn.user.id) {
        await (await found.provider.Session.find(found.interaction.session.cookie))?.destroy();
        delete found.interaction.session;
        await saveUntilItsExpiry(found.interaction);
      }
      const { session } = signedIn;
      return finish(c, {
        select_account: {},
        login: { accountId: signedIn.user.id, amr: signedIn.amr, ts: Math.floor(session.created_at / 1000), remember: false },
      });
    })
    .get('/:uid/cancel', async (c) => {
      const found = await details(c);
      if (!found) return expired(c);
      const reason =
        c.req.query('reason') === 'denied' ? 'The sign-in was denied on the authenticator.' : 'The person cancelled the sign-in.';
      return finish(c, { error: 'access_denied', error_description: reason });
    });
}

const signInUrl = (clientId: string, uid: string) => `/signin?app=${encodeURIComponent(clientId)}&interaction=${uid}`;

/** Saves a changed interaction for the rest of its lifetime (oidc-provider takes a TTL in seconds). */
function saveUntilItsExpiry(interaction: Interaction) {
  return interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
}

/**
 * Whether the relay session may answer this request without a new sign-in: `prompt=login` wants
 * one made after the app asked (`signInAfter`, on the relay's clock); `max_age` one no older than
 * that many seconds.
 */
function freshEnough(signedIn: PageSession, params: Record<string, unknown>, signInAfter: number, now: number): boolean {
  const signedInAt = signedIn.session.created_at;
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ') : [];
  if (prompts.includes('login') && signedInAt <= signInAfter) return false;
  const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
  return maxAge === undefined || !Number.isFinite(maxAge) || signedInAt >= now - maxAge * 1000;
}

function ConsentPage(props: { app: RegisteredApp; session: PageSession; uid: string }) {
  return (
    <Layout title={`Allow ${props.app.name}?`} viewer={props.session.viewer}>
      <h1>Allow {props.app.name}?</h1>
      <p data-testid="consent-text">
        {props.app.name} wants to know who you are: your name ({props.session.user.display_name}), your username ({props.session.user.upn}),
        your email address and your groups. Countersign asks once and remembers your answer.
      </p>
      <form method="post" action={`${INTERACTION_PATH}/${props.uid}/consent`}>
        <input type="hidden" name={CSRF_FIELD} value={props.session.viewer.csrf} />
        <div class="actions">
          <button class="primary" type="submit" name="answer" value="allow" data-testid="consent-allow">
            Allow
          </button>
          <button type="submit" name="answer" value="deny" data-testid="consent-deny">
            Don’t allow
          </button>
        </div>
      </form>
    </Layout>
  );
}

/** prompt=select_account: continue as the person signed in to Countersign, or sign in as someone else. */
function SelectAccountPage(props: { app: RegisteredApp; session: PageSession; uid: string }) {
  return (
    <Layout title={`Continue to ${props.app.name}`} viewer={props.session.viewer}>
      <h1>Choose an account</h1>
      <p class="muted">to continue to {props.app.name}</p>
      <form method="post" action={`${INTERACTION_PATH}/${props.uid}/select`}>
        <input type="hidden" name={CSRF_FIELD} value={props.session.viewer.csrf} />
        <div class="actions">
          <button class="primary" type="submit" data-testid="continue-as">
            Continue as {props.session.user.upn}
          </button>
        </div>
      </form>
      <div class="links">
        <a href={signInUrl(props.app.clientId, props.uid)} data-testid="sign-in-as-someone-else">
          Sign in as someone else
        </a>
      </div>
    </Layout>
  );
}
