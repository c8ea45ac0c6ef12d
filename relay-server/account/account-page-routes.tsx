/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import { LIMITS } from '../../protocol/limits.ts';
import { buildPairingLink } from '../../protocol/pairing-link.ts';
import { revokeDevice } from '../admin/revoke-device.ts';
import { ApiError } from '../api-error.ts';
import { clientContext } from '../http/client-context.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { takeReturnTo } from '../session/return-to.ts';
import { isActiveDevice } from '../store/devices-store.ts';
import { CsrfError, readProtectedForm } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { MessagePage } from '../pages/message-page.tsx';
import { pageSession, type PageSession } from '../pages/page-session.ts';
import { renderPage } from '../pages/render-page.ts';
import { SigninPage } from '../signin/signin-page.tsx';
import { mayAddAuthenticator } from './add-authenticator-policy.ts';
import { MePage } from './me-page.tsx';
import { SecurityInfoPage, deviceView, type PairingOffer } from './security-info-page.tsx';

/** The signed-in pages: /me and /security-info (your authenticators and pairing a new one). */
export function accountRoutes(deps: RelayDeps) {
  const { store, clock } = deps;

  /** Runs `handler` for a signed-in user; anyone else goes to the sign-in page. */
  const signedIn = (handler: (c: Context, session: PageSession) => Promise<Response>) => async (c: Context) => {
    const session = await pageSession(c, deps);
    if (!session) return c.redirect('/signin', c.req.method === 'GET' ? 302 : 303);
    return handler(c, session);
  };

  /** Same, for a form post: also checks the CSRF token and Origin. */
  const signedInForm = (handler: (c: Context, session: PageSession, form: Awaited<ReturnType<typeof readProtectedForm>>) => Promise<Response>) =>
    signedIn(async (c, session) => {
      let form;
      try {
        form = await readProtectedForm(c, deps.relayOrigin(), session.session);
      } catch (error) {
        if (!(error instanceof CsrfError)) throw error;
        return csrfFailurePage(c, { href: '/security-info', label: 'Back to Security info' }, session.viewer);
      }
      return handler(c, session, form);
    });

  const securityInfo = async (
    c: Context,
    session: PageSession,
    extra: { pairing?: PairingOffer; notice?: { kind: 'ok' | 'error'; text: string } } = {},
    status: 200 | 403 | 429 = 200,
  ) => {
    const devices = await store.devices.ofUser(session.user.id);
    const active = devices.filter(isActiveDevice).length;
    return renderPage(
      c,
      <SecurityInfoPage session={session} devices={devices} now={clock.now()} approvalFirst={!mayAddAuthenticator(session.amr, active)} {...extra} />,
      status,
    );
  };

  /**
   * A password-only session asked to add another authenticator: send a push to the ones the
   * user has. Once approved, the sign-in page's script completes it (a new session whose `amr`
   * has `swk`) and comes back here, where the pairing can then be made.
   */
  const approveFirst = async (c: Context, session: PageSession) => {
    let request;
    try {
      request = await deps.signins.createStepUp({ user: session.user, context: clientContext(c, deps.config.trustProxy) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      deps.logger.info({ event: 'pairing.approval_refused', upn: session.user.upn, code: error.code }, 'no approval could be sent to add an authenticator');
      const text =
        error.code === 'rate_limited'
          ? 'Adding another authenticator needs an approval on one you have, but none can be sent right now (too many requests, or phone sign-in is blocked for your account). Try again later.'
          : 'Adding another authenticator needs an approval on one you have, and none can be sent for your account. Ask your administrator for a Temporary Access Pass.';
      return securityInfo(c, session, { notice: { kind: 'error', text } }, error.status === 429 ? 429 : 403);
    }
    deps.logger.info({ event: 'pairing.approval_requested', upn: session.user.upn }, 'approval requested to add an authenticator');
    const policy = await store.policy.current();
    return renderPage(
      c,
      <SigninPage
        app={undefined}
        matchMode={policy.match.mode}
        passwordless={false}
        started={{ ...request, upn: session.user.upn, serverNow: clock.now() }}
        retryUrl="/security-info"
        stepUp={{ returnTo: '/security-info?approved=1' }}
      />,
    );
  };

  return new Hono()
    .get(
      '/me',
      signedIn(async (c, session) => {
        // Both ways of signing in land here; someone who was sent to sign in from an admin page goes back to it.
        const returnTo = takeReturnTo(c, deps.relayOrigin(), session.session.created_at);
        if (returnTo) return c.redirect(returnTo, 303);
        return renderPage(c, <MePage session={session} />);
      }),
    )
    .get(
      '/security-info',
      signedIn(async (c, session) => {
        let notice: { kind: 'ok'; text: string } | undefined;
        if (c.req.query('removed') === '1') notice = { kind: 'ok', text: 'The authenticator was removed. It can no longer approve sign-ins.' };
        else if (c.req.query('approved') === '1' && session.amr.includes('swk')) notice = { kind: 'ok', text: 'Approved. You can now add another authenticator.' };
        return securityInfo(c, session, notice ? { notice } : {});
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
      signedInForm(async (c, session) => {
        const active = await store.devices.activeOfUser(session.user.id);
        if (!mayAddAuthenticator(session.amr, active.length)) return approveFirst(c, session);
        const offer = await store.pairings.create(session.user.id, clock.now(), LIMITS.pairingLifetimeMs);
        const link = buildPairingLink({ relayOrigin: deps.relayOrigin(), token: offer.token, upn: session.user.upn });
        const svg = await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        const qr = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
        deps.logger.info({ event: 'pairing.offered', upn: session.user.upn }, 'pairing offered from the security info page');
        return securityInfo(c, session, { pairing: { link, qr, expiresAt: offer.expiresAt } });
      }),
    )
    .post(
      '/security-info/devices/:deviceId/remove',
      signedInForm(async (c, session) => {
        const device = await store.devices.byId(c.req.param('deviceId') ?? '');
        // Another user's device answers exactly like one that does not exist.
        if (!device || device.user_id !== session.user.id) {
          return renderPage(
            c,
            <MessagePage title="Authenticator not found" viewer={session.viewer} links={[{ href: '/security-info', label: 'Back to Security info' }]}>
              <p>There is no such authenticator on your account. It may have been removed already.</p>
            </MessagePage>,
            404,
          );
        }
        await revokeDevice(deps, device.id);
        return c.redirect('/security-info?removed=1', 303);
      }),
    );
}
