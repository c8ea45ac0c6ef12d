/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import { LIMITS } from '../../../protocol/limits.ts';
import { buildPairingLink } from '../../../protocol/pairing-link.ts';
import { revokeDevice } from '../../admin/revoke-device.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { CsrfError, readProtectedForm } from '../csrf.ts';
import { csrfFailurePage } from '../csrf-failure-page.tsx';
import { MessagePage } from '../message-page.tsx';
import { pageSession, type PageSession } from '../page-session.ts';
import { renderPage } from '../render-page.ts';
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
        form = await readProtectedForm(c, deps.relayOrigin());
      } catch (error) {
        if (!(error instanceof CsrfError)) throw error;
        return csrfFailurePage(c, { href: '/security-info', label: 'Back to Security info' }, session.viewer);
      }
      return handler(c, session, form);
    });

  const securityInfo = async (c: Context, session: PageSession, extra: { pairing?: PairingOffer; notice?: { kind: 'ok' | 'error'; text: string } } = {}) =>
    renderPage(c, <SecurityInfoPage session={session} devices={await store.devices.ofUser(session.user.id)} now={clock.now()} {...extra} />);

  return new Hono()
    .get('/me', signedIn(async (c, session) => renderPage(c, <MePage session={session} />)))
    .get(
      '/security-info',
      signedIn(async (c, session) => {
        const notice = c.req.query('removed') === '1' ? ({ kind: 'ok', text: 'The authenticator was removed. It can no longer approve sign-ins.' } as const) : undefined;
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
