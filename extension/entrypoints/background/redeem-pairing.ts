import { isPairableRelayOrigin, readRedeemAnswer, type RedeemAnswer } from '../../../protocol/device/index.ts';
import { REDEEM_PAIRING_PATH, type RedeemPairingBody } from '../../../protocol/index.ts';

/**
 * The redeem call of section 3, made by the worker for the popup: the worker already carries the
 * schemas that check the relay's answer, so the popup does not. Only to a relay a device may
 * pair with (https, or http on loopback), only this path, without credentials.
 */
export async function redeemPairing(relayOrigin: string, body: RedeemPairingBody): Promise<RedeemAnswer> {
  if (!isPairableRelayOrigin(relayOrigin)) return { ok: false, code: 'insecure_relay' };
  let response: Response;
  try {
    response = await fetch(`${relayOrigin}${REDEEM_PAIRING_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    return { ok: false, code: 'relay_unreachable' };
  }
  return readRedeemAnswer(response.status, await response.json().catch(() => null));
}
