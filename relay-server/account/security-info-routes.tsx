/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { LIMITS } from '../../protocol/limits.ts';
import { offerPairing, pendingPairing } from '../devices/pending-pairing.ts';
import { revokeDevice } from '../devices/revoke-device.ts';
import { MessagePage } from '../pages/message-page.tsx';
import { pageSession, type PageSession } from '../pages/page-session.ts';
import { renderPage } from '../pages/render-page.ts';
import type { WithSignins } from '../signin/signin-deps.ts';
import { SigninPage } from '../signin/signin-page.tsx';
import { isActiveDevice } from '../store/devices-store.ts';
import { mayAddAuthenticator } from './add-authenticator-policy.ts';
import { pendingStepUp, startStepUp, type StepUpRefusal } from './pending-step-up.ts';
import { SecurityInfoPage, deviceView, type PageNotice } from './security-info-page.tsx';
import { signedIn, signedInForm } from './signed-in.ts';

const REMOVED: PageNotice = { kind: 'ok', text: 'The authenticator was removed. It can no longer approve sign-ins for your account.' };
const APPROVED: PageNotice = { kind: 'ok', text: 'Approved. You can now add another authenticator.' };
/** Section 3 step 1: a pairing is offered only to a sign-in less than 10 minutes old. */
const SIGN_IN_AGAIN: PageNotice = {
  kind: 'error',
  text:
    'Adding an authenticator needs a sign-in from the last 10 minutes. Sign out, sign in again ' +
    '(with your password or a Temporary Access Pass), and add it right away.',
};

/** Why an approval to add an authenticator could not be sent, by the `?approval=` word of the redirect. */
const APPROVAL_REFUSED: Record<StepUpRefusal, PageNotice> = {
  busy: {
    kind: 'error',
    text:
      'Adding another authenticator needs an approval on one you have, but none can be sent right now ' +
      '(too many requests, or phone sign-in is blocked for your account). Try again later.',
  },
  unavailable: {
    kind: 'error',
    text:
      'Adding another authenticator needs an approval on one you have, and none can be sent for your account. ' +
      'Ask your administrator for a Temporary Access Pass.',
  },
};

/**
 * Security info: your authenticators, removing one, and pairing a new one. Every form answers
 * with a 303 to a GET page (post/redirect/get), so a reload never posts again.
 */
export function securityInfoRoutes(deps: WithSignins) {
  const { store, clock } = deps;

  /** What a redirect back here says; the query carries only fixed words, never anything secret. */
  const noticeOf = (c: Context, session: PageSession): PageNotice | undefined => {
    if (c.req.query('removed') === '1') return REMOVED;
    if (c.req.query('approved') === '1') return session.amr.includes('swk') ? APPROVED : undefined;
    if (c.req.query('signin') === 'stale') return SIGN_IN_AGAIN;
    const refusal = c.req.query('approval');
    return refusal === 'busy' || refusal === 'unavailable' ? APPROVAL_REFUSED[refusal] : undefined;
  };

  return new Hono()
    .get(
      '/security-info',
      signedIn(deps, async (c, session) => {
        const devices = await store.devices.ofUser(session.user.id);
        const active = devices.filter(isActiveDevice).length;
        const finishSetup = c.req.query('add') === 'authenticator';
        let pairing = await pendingPairing(c, deps, session);
        // Where a Temporary Access Pass lands: the pass exists to add an authenticator, so the
        // link and QR code are there at once, not one more click away (only for a fresh sign-in).
        const fresh = clock.now() - session.session.created_at < LIMITS.pairingSigninMaxAgeMs;
        if (finishSetup && !pairing && fresh && session.amr.includes('otp') && mayAddAuthenticator(session.amr, active)) {
          pairing = await offerPairing(c, deps, session);
          deps.logger.info({ event: 'pairing.offered', upn: session.user.upn }, 'pairing offered where a Temporary Access Pass landed');
        }
        return renderPage(
          c,
          <SecurityInfoPage
            session={session}
            devices={devices}
            now={clock.now()}
            pairing={pairing}
            notice={noticeOf(c, session)}
            approvalFirst={!mayAddAuthenticator(session.amr, active)}
            finishSetup={finishSetup}
          />,
        );
      }),
    )
    .get('/security-info/devices.json', async (c) => {
      const session = await pageSession(c, deps);
      c.header('Cache-Control', 'no-store');
      if (!session) return c.json({ error: { code: 'unauthorized', message: 'Sign in first.' } }, 401);
      const now = clock.now();
      return c.json({ devices: (await store.devices.ofUser(session.user.id)).map((device) => deviceView(device, now)) });
    })
    .post(
      '/security-info/pairings',
      signedInForm(deps, async (c, session) => {
        if (clock.now() - session.session.created_at >= LIMITS.pairingSigninMaxAgeMs) {
          return c.redirect('/security-info?signin=stale', 303);
        }
        const active = await store.devices.activeOfUser(session.user.id);
        if (!mayAddAuthenticator(session.amr, active.length)) {
          const refused = await startStepUp(c, deps, session);
          return c.redirect(refused ? `/security-info?approval=${refused}` : '/security-info/approve', 303);
        }
        await offerPairing(c, deps, session);
        deps.logger.info({ event: 'pairing.offered', upn: session.user.upn }, 'pairing offered from the security info page');
        return c.redirect('/security-info#pairing', 303);
      }),
    )
    .get(
      '/security-info/approve',
      signedIn(deps, async (c, session) => {
        const started = await pendingStepUp(c, deps, session);
        if (!started) return c.redirect('/security-info', 302);
        const policy = await store.policy.current();
        return renderPage(
          c,
          <SigninPage
            app={undefined}
            matchMode={policy.match.mode}
            passwordless={false}
            started={started}
            retryUrl="/security-info"
            stepUp={{ returnTo: '/security-info?approved=1' }}
          />,
        );
      }),
    )
    .post(
      '/security-info/devices/:deviceId/remove',
      signedInForm(deps, async (c, session) => {
        const device = await store.devices.byId(c.req.param('deviceId') ?? '');
        // Another user's device answers exactly like one that does not exist, and nothing changes.
        if (!device || device.user_id !== session.user.id) {
          return renderPage(
            c,
            <MessagePage
              title="Authenticator not found"
              viewer={session.viewer}
              links={[{ href: '/security-info', label: 'Back to Security info' }]}
            >
              <p data-testid="remove-not-found">There is no such authenticator on your account. It may have been removed already.</p>
            </MessagePage>,
            404,
          );
        }
        await revokeDevice(deps, device.id);
        return c.redirect('/security-info?removed=1', 303);
      }),
    );
}
