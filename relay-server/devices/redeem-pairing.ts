import type { KeyObject } from 'node:crypto';
import { randomId } from '../../protocol/encoding.ts';
import { LIMITS } from '../../protocol/limits.ts';
import type { RedeemPairingBody } from '../../protocol/messages.ts';
import { pairStatement } from '../../protocol/statements.ts';
import { ApiError } from '../api-error.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { InvalidElement } from '../security/oprf-evaluate.ts';
import { publicKeyFromPoint, verifyDeviceSignature } from '../security/verify-signature.ts';
import type { DeviceRow, UserRow } from '../store/schema.ts';
import { noticeOtherAuthenticators } from './authenticator-notice.ts';

type RedeemPairingDeps = Pick<RelayDeps, 'store' | 'fanout' | 'clock' | 'logger' | 'relayOrigin' | 'pin'>;

export interface RedeemedPairing {
  device: DeviceRow;
  user: UserRow;
  /** The relay's evaluation of the blinded PIN (section 4a), for the device to finish its PIN key. */
  pinEvaluated: string;
}

/** The key of a body field, or 400 naming the field when it is not an uncompressed P-256 point. */
function pointOf(field: 'publicKey' | 'connectPublicKey', value: string): KeyObject {
  try {
    return publicKeyFromPoint(value);
  } catch {
    throw new ApiError(400, 'invalid_request', `${field} is invalid: expected an uncompressed P-256 point`);
  }
}

/**
 * docs/protocol.md section 3: a device redeems a pairing offer with two fresh keys, the approval key
 * (`publicKey`, which signs the pair statement) and the connect key. The new device is stored, and
 * the user's other authenticators get `notice` `authenticator_added`. Refusals are ApiErrors.
 */
export async function redeemPairing(deps: RedeemPairingDeps, body: RedeemPairingBody): Promise<RedeemedPairing> {
  const approvalKey = pointOf('publicKey', body.publicKey);
  pointOf('connectPublicKey', body.connectPublicKey);
  // One key that did both jobs would let whoever holds the unwrapped connect key approve.
  if (body.connectPublicKey === body.publicKey) {
    throw new ApiError(400, 'invalid_request', 'connectPublicKey is invalid: it must differ from publicKey');
  }
  const statement = pairStatement({
    relayOrigin: deps.relayOrigin(),
    pairingToken: body.token,
    publicKey: body.publicKey,
    connectPublicKey: body.connectPublicKey,
    deviceName: body.deviceName,
  });
  if (!verifyDeviceSignature(statement, body.signature, approvalKey)) {
    throw new ApiError(401, 'bad_signature', 'The signature does not verify.');
  }
  // Section 4a: the device's OPRF key is made here and evaluates the blinded PIN; a bad
  // element is refused before the token is used.
  const deviceId = randomId();
  let pinKey: { sealedKey: string; evaluated: string };
  try {
    pinKey = deps.pin.keyForNewDevice(deviceId, body.pinBlinded);
  } catch (error) {
    if (error instanceof InvalidElement) throw new ApiError(400, 'invalid_request', 'pinBlinded is invalid: not a valid P-256 element');
    throw error;
  }
  const outcome = await deps.store.pairings.redeem(
    body.token,
    {
      id: deviceId,
      name: body.deviceName.slice(0, LIMITS.deviceNameChars),
      publicKey: body.publicKey,
      connectPublicKey: body.connectPublicKey,
      sealedPinKey: pinKey.sealedKey,
    },
    deps.clock.now(),
  );
  if (!outcome.ok) {
    if (outcome.code === 'pairing_used') throw new ApiError(409, 'pairing_used', 'This pairing link was already used.');
    if (outcome.code === 'pairing_expired') throw new ApiError(410, 'pairing_expired', 'This pairing link has expired.');
    throw new ApiError(400, 'invalid_request', 'token is invalid: no such pairing offer');
  }
  const { device } = outcome;
  const user = await deps.store.users.byId(device.user_id);
  if (!user) throw new ApiError(400, 'invalid_request', 'token is invalid: no such pairing offer');
  deps.logger.info({ event: 'device.paired', upn: user.upn, deviceId: device.id }, 'device paired');
  await noticeOtherAuthenticators(deps, { userId: user.id, kind: 'authenticator_added', name: device.name, deviceId: device.id });
  return { device, user, pinEvaluated: pinKey.evaluated };
}
