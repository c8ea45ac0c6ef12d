import { ProtocolError } from './errors.ts';
import { utf8 } from './encoding.ts';

/**
 * Signed statements (docs/protocol.md section 2): the tag, then the fields, joined with "\n" and
 * UTF-8 encoded. These builders are the only place those fields are concatenated.
 */
export const STATEMENT_TAGS = {
  pair: 'countersign/v1/pair',
  connect: 'countersign/v1/connect',
  decision: 'countersign/v1/decision',
  deviceAction: 'countersign/v1/device-action',
} as const;

export type Decision = 'approve' | 'deny' | 'report';

/**
 * What a `device-action` statement does (section 2): prove a PIN unwrap, ask for a new OPRF key
 * after a PIN change, or unregister the account.
 */
export type DeviceAction = 'unlock-proof' | 'rekey' | 'remove';
export const DEVICE_ACTIONS = ['unlock-proof', 'rekey', 'remove'] as const satisfies readonly DeviceAction[];

/**
 * How the device released the key that signed a decision (section 2): `pin` or `webauthn` for
 * the approval key; `none` for a `deny` or `report` signed with the connect key, and only then.
 */
export type Unlock = 'pin' | 'webauthn' | 'none';
export const UNLOCK_METHODS = ['pin', 'webauthn', 'none'] as const satisfies readonly Unlock[];

function statement(tag: string, fields: readonly string[]): Uint8Array {
  for (const field of fields) {
    if (typeof field !== 'string') throw new ProtocolError('invalid_request', 'statement field is not a string');
    if (field.includes('\n')) throw new ProtocolError('invalid_request', 'statement field contains a newline');
  }
  return utf8([tag, ...fields].join('\n'));
}

/**
 * Signed by the approval key. `publicKey` is the approval key, `connectPublicKey` the connect key.
 * @example pairStatement({relayOrigin: 'http://127.0.0.1:8787', pairingToken, publicKey, connectPublicKey, deviceName: 'Chromium on Linux'})
 */
export function pairStatement(input: {
  relayOrigin: string;
  pairingToken: string;
  publicKey: string;
  connectPublicKey: string;
  deviceName: string;
}): Uint8Array {
  return statement(STATEMENT_TAGS.pair, [input.relayOrigin, input.pairingToken, input.publicKey, input.connectPublicKey, input.deviceName]);
}

/** Signed by the connect key. @example connectStatement({relayOrigin, nonce: hello.nonce, deviceId}) */
export function connectStatement(input: { relayOrigin: string; nonce: string; deviceId: string }): Uint8Array {
  return statement(STATEMENT_TAGS.connect, [input.relayOrigin, input.nonce, input.deviceId]);
}

/**
 * `number` is empty for deny and report; `signedAt` is Unix ms, written in decimal; `unlock` is
 * `none` only for a deny or report (signed with the connect key).
 * @example decisionStatement({relayOrigin, requestId, deviceId, decision: 'approve', number: '07', signedAt: Date.now(), unlock: 'pin'})
 */
export function decisionStatement(input: {
  relayOrigin: string;
  requestId: string;
  deviceId: string;
  decision: Decision;
  number: string;
  signedAt: number;
  unlock: Unlock;
}): Uint8Array {
  if (!Number.isSafeInteger(input.signedAt)) throw new ProtocolError('invalid_request', 'signedAt is not an integer');
  if (input.decision === 'approve' && input.unlock === 'none') {
    throw new ProtocolError('invalid_request', 'an approve needs the approval key (unlock pin or webauthn)');
  }
  return statement(STATEMENT_TAGS.decision, [
    input.relayOrigin,
    input.requestId,
    input.deviceId,
    input.decision,
    input.number,
    String(input.signedAt),
    input.unlock,
  ]);
}

/**
 * Signed by the approval key over the `hello` nonce of the socket it travels on (section 2).
 * `detail` is the `blinded` element for `unlock-proof` and `rekey`, empty for `remove`.
 * @example deviceActionStatement({relayOrigin, nonce: hello.nonce, deviceId, action: 'unlock-proof', detail: blinded})
 */
export function deviceActionStatement(input: {
  relayOrigin: string;
  nonce: string;
  deviceId: string;
  action: DeviceAction;
  detail: string;
}): Uint8Array {
  if (!DEVICE_ACTIONS.includes(input.action)) throw new ProtocolError('invalid_request', 'unknown device action');
  if ((input.action === 'remove') !== (input.detail === '')) {
    throw new ProtocolError('invalid_request', 'remove has an empty detail; unlock-proof and rekey name a blinded element');
  }
  return statement(STATEMENT_TAGS.deviceAction, [input.relayOrigin, input.nonce, input.deviceId, input.action, input.detail]);
}
