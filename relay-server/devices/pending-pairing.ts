import type { Context } from 'hono';
import QRCode from 'qrcode';
import { ID_PATTERN } from '../../protocol/encoding.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { buildPairingLink } from '../../protocol/pairing-link.ts';
import type { PageSession } from '../pages/page-session.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { hashSecret, secretsEqual } from '../security/secrets.ts';
import { clearPageCookie, readPageCookie, setPageCookie } from '../session/page-cookie.ts';
import { createPairingOffer } from './pairing-offer.ts';

/** A pairing offer as the Security info page shows it. */
export interface PairingOffer {
  link: string;
  /** An SVG data URL of the link as a QR code. */
  qr: string;
  expiresAt: number;
}

/**
 * The pairing offer a session made, kept between the form post and the page it redirects to:
 * the store holds only the token's hash, so the token itself rides in a cookie limited to
 * /security-info (session/page-cookie.ts), with a tag of the session that made it. It is shown while
 * the offer is unused and unexpired, and only to that session (a new sign-in is a new session).
 */
const COOKIE = { name: 'countersign_pairing', path: '/security-info' };

/** Names the session without revealing anything of its cookie (id_hash is already a digest). */
const sessionTag = (session: PageSession) => hashSecret(`pending-pairing:${session.session.id_hash}`).slice(0, 22);

/** Makes an offer for the session, keeps its token in the cookie, and returns it as the page shows it. */
export async function offerPairing(c: Context, deps: RelayDeps, session: PageSession): Promise<PairingOffer> {
  const offer = await createPairingOffer(deps, session.user);
  setPageCookie(c, deps.relayOrigin(), COOKIE, `${sessionTag(session)}.${offer.token}`, LIMITS.pairingLifetimeMs);
  return shownOffer(offer.link, offer.expiresAt);
}

/** The session's waiting offer, or undefined (and the cookie is cleared) once it is used, expired or not this session's. */
export async function pendingPairing(c: Context, deps: RelayDeps, session: PageSession): Promise<PairingOffer | undefined> {
  const relayOrigin = deps.relayOrigin();
  const cookie = readPageCookie(c, relayOrigin, COOKIE);
  if (cookie === undefined) return undefined;
  const [tag = '', token = ''] = cookie.split('.');
  // The store looks the token up by its hash, so a guessed cookie learns nothing from timing.
  const offer = secretsEqual(tag, sessionTag(session)) && ID_PATTERN.test(token) ? await deps.store.pairings.find(token) : undefined;
  const waiting = offer !== undefined && offer.user_id === session.user.id && offer.used_at === null && offer.expires_at > deps.clock.now();
  if (!waiting) {
    clearPageCookie(c, relayOrigin, COOKIE);
    return undefined;
  }
  return shownOffer(buildPairingLink({ relayOrigin, token, upn: session.user.upn }), offer.expires_at);
}

async function shownOffer(link: string, expiresAt: number): Promise<PairingOffer> {
  const svg = await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { link, qr: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`, expiresAt };
}
