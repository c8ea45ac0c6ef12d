import { LIMITS } from '../../protocol/limits.ts';
import { buildPairingLink } from '../../protocol/pairing-link.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

export interface OfferedPairing {
  /** Single use; the store keeps only its hash. */
  token: string;
  link: string;
  expiresAt: number;
}

/**
 * docs/protocol.md section 3 step 1: a pairing offer for the user, good for
 * LIMITS.pairingLifetimeMs, and the link a device redeems it through.
 */
export async function createPairingOffer(
  deps: { store: Store; clock: Clock; relayOrigin: () => string },
  user: { id: string; upn: string },
): Promise<OfferedPairing> {
  const offer = await deps.store.pairings.create(user.id, deps.clock.now(), LIMITS.pairingLifetimeMs);
  const link = buildPairingLink({ relayOrigin: deps.relayOrigin(), token: offer.token, upn: user.upn });
  return { token: offer.token, link, expiresAt: offer.expiresAt };
}
