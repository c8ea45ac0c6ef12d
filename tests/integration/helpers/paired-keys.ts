import { expect } from 'vitest';
import {
  decisionStatement,
  generateDeviceKeyPair,
  pairStatement,
  signStatement,
  type Decision,
  type Unlock,
} from '../../../protocol/index.ts';
import type { AdminClient } from '../../../testing/admin-client.ts';
import { blindPin, finishPin, pinWrappingKey, wrapWithPinKey, type PinWrappedKey } from '../../../protocol/pin-oprf.ts';

/** The PIN every hand-paired test device is given unless a test says otherwise. */
export const TEST_PIN = '246810';

/**
 * A device credential held by the test itself, for frames a well-behaved device would never
 * send. Two keys, as in protocol revision 2: the approval key signs `pair` and `approve`, the
 * connect key signs `connect` (and may sign `deny` and `report` with unlock `none`).
 */
export interface PairedKeys {
  deviceId: string;
  approvalKey: Uint8Array;
  connectKey: Uint8Array;
  /** The PIN blinded at redeem, and the approval key wrapped under its evaluation (section 4a), as a device stores it. */
  pin: string;
  wrapped: PinWrappedKey;
}

/**
 * Redeems a fresh pairing offer for `upn` with two new key pairs, by hand. The statement names
 * the relay's public `origin`; the call goes to `address` when one instance of several is meant.
 */
export async function pairKeys(
  relay: { admin: AdminClient; origin: string; address?: string },
  upn: string,
  deviceName = 'Raw socket',
  pin = TEST_PIN,
): Promise<PairedKeys> {
  const offer = await relay.admin.createPairing(upn);
  return redeemWithNewKeys(relay, offer.token, deviceName, pin);
}

/** Redeems this pairing token with two new key pairs, as a revision-2 device does, expecting 201. */
export async function redeemWithNewKeys(
  relay: { origin: string; address?: string },
  token: string,
  deviceName: string,
  pin = TEST_PIN,
): Promise<PairedKeys> {
  const pending = blindPin(pin);
  const approval = generateDeviceKeyPair();
  const connect = generateDeviceKeyPair();
  const statement = pairStatement({
    relayOrigin: relay.origin,
    pairingToken: token,
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    deviceName,
  });
  const body = {
    token,
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    deviceName,
    pinBlinded: pending.blinded,
    signature: signStatement(statement, approval.secretKey),
  };
  const answer = await fetch(`${relay.address ?? relay.origin}/api/v1/pairings/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(answer.status).toBe(201);
  const { deviceId, pinEvaluated } = (await answer.json()) as { deviceId: string; pinEvaluated: string };
  const key = await pinWrappingKey({ output: finishPin(pin, pending, pinEvaluated), deviceId, relayOrigin: relay.origin });
  const wrapped = await wrapWithPinKey(key, approval.secretKey, deviceId);
  return { deviceId, approvalKey: approval.secretKey, connectKey: connect.secretKey, pin, wrapped };
}

/** What a test may change in a decision frame. */
export interface DecisionFields {
  requestId: string;
  decision: Decision;
  number?: string;
  signedAt?: number;
  /** Defaults to `pin` for an approve and `none` for a deny or report, as a device sends them. */
  unlock?: Unlock;
}

/**
 * A `decision` frame signed with the key a device would use for it (the connect key for unlock
 * `none`, else the approval key) unless `signWith` names one; `signed` overrides what the
 * signature covers.
 */
export function decisionFrame(
  relay: { origin: string; clock: { now(): number } },
  keys: PairedKeys,
  frame: DecisionFields,
  signed: Partial<{ decision: Decision; number: string; signedAt: number; requestId: string; relayOrigin: string; unlock: Unlock }> = {},
  signWith?: Uint8Array,
) {
  const unlock = frame.unlock ?? (frame.decision === 'approve' ? 'pin' : 'none');
  const body = {
    requestId: frame.requestId,
    deviceId: keys.deviceId,
    decision: frame.decision,
    number: frame.number ?? '',
    signedAt: frame.signedAt ?? relay.clock.now(),
    unlock,
  };
  const key = signWith ?? (unlock === 'none' ? keys.connectKey : keys.approvalKey);
  const signature = signStatement(decisionStatement({ relayOrigin: relay.origin, ...body, ...signed }), key);
  return { type: 'decision' as const, ...body, signature };
}
