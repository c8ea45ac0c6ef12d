import type { KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../protocol/errors.ts';
import { deviceActionStatement, type DeviceAction } from '../../protocol/statements.ts';
import { verifyDeviceSignatureOffThread } from './verify-signature.ts';

/** The socket a `device-action` arrived on: its `hello` nonce, and the statements it already accepted. */
export interface ActionSocket {
  readonly nonce: string;
  readonly usedActions: Set<string>;
}

export type ActionRefusal = { code: ErrorCode; message: string };

/**
 * Checks a `device-action` statement (docs/protocol.md section 2): signed by the device's
 * approval key, and only that key, over this socket's `hello` nonce, and accepted once. On
 * success the statement is marked used on the socket; `releaseDeviceAction` gives it back when
 * the action it asked for was refused afterwards and may be tried again.
 */
export async function acceptDeviceAction(input: {
  relayOrigin: string;
  socket: ActionSocket;
  deviceId: string;
  approvalKey: KeyObject;
  action: DeviceAction;
  detail: string;
  signature: string;
}): Promise<ActionRefusal | null> {
  const { relayOrigin, socket, deviceId, action, detail } = input;
  const statement = deviceActionStatement({ relayOrigin, nonce: socket.nonce, deviceId, action, detail });
  if (!(await verifyDeviceSignatureOffThread(statement, input.signature, input.approvalKey))) {
    return { code: 'bad_signature', message: 'The signature does not verify.' };
  }
  const key = actionKey(deviceId, action, detail);
  if (socket.usedActions.has(key)) return { code: 'invalid_request', message: 'This statement was already accepted once.' };
  socket.usedActions.add(key);
  return null;
}

/** Lets a statement accepted by `acceptDeviceAction` be sent again (signed anew) after its action was refused. */
export function releaseDeviceAction(socket: ActionSocket, deviceId: string, action: DeviceAction, detail: string): void {
  socket.usedActions.delete(actionKey(deviceId, action, detail));
}

/** A statement's identity on its socket: the nonce is the socket's, so the rest names it. */
function actionKey(deviceId: string, action: DeviceAction, detail: string): string {
  return `${deviceId}\n${action}\n${detail}`;
}
