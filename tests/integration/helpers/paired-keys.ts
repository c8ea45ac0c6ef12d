import { expect } from 'vitest';
import { decisionStatement, generateDeviceKeyPair, pairStatement, signStatement, type Decision } from '../../../protocol/index.ts';
import type { TestRelay } from './test-relay.ts';

/** A device credential held by the test itself, for frames a well-behaved device would never send. */
export interface PairedKeys {
  deviceId: string;
  secretKey: Uint8Array;
}

/** Redeems a fresh pairing offer for `upn` with a new key pair, by hand. */
export async function pairKeys(relay: TestRelay, upn: string): Promise<PairedKeys> {
  const offer = await relay.admin.createPairing(upn);
  const keys = generateDeviceKeyPair();
  const deviceName = 'Raw socket';
  const signature = signStatement(pairStatement({ relayOrigin: relay.origin, pairingToken: offer.token, publicKey: keys.publicKey, deviceName }), keys.secretKey);
  const answer = await relay.http('POST', '/api/v1/pairings/redeem', { body: { token: offer.token, publicKey: keys.publicKey, deviceName, signature } });
  expect(answer.status).toBe(201);
  return { deviceId: answer.body.deviceId as string, secretKey: keys.secretKey };
}

/** A `decision` frame signed with these keys; `signed` overrides what the signature covers. */
export function decisionFrame(
  relay: TestRelay,
  keys: PairedKeys,
  frame: { requestId: string; decision: Decision; number?: string; signedAt?: number },
  signed: Partial<{ decision: Decision; number: string; signedAt: number; requestId: string; relayOrigin: string }> = {},
) {
  const body = { requestId: frame.requestId, deviceId: keys.deviceId, decision: frame.decision, number: frame.number ?? '', signedAt: frame.signedAt ?? relay.clock.now() };
  const signature = signStatement(decisionStatement({ relayOrigin: relay.origin, ...body, ...signed }), keys.secretKey);
  return { type: 'decision', ...body, signature };
}
