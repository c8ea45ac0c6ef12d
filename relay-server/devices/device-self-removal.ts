import type { ErrorMessage, RemoveMessage } from '../../protocol/messages.ts';
import type { DeviceRemoval, PinSocket } from '../hub/device-hub.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { acceptDeviceAction } from '../security/accept-device-action.ts';
import type { DecidingDevice } from '../hub/deciding-device.ts';
import { revokeDevice } from './revoke-device.ts';

type SelfRemovalDeps = Pick<RelayDeps, 'store' | 'fanout' | 'clock' | 'logger' | 'relayOrigin'>;

/**
 * The `remove` frame of docs/protocol.md section 4: the person removed the account from their
 * device, which unregisters it here. Signed by the approval key over this socket's nonce, so it
 * needs the PIN or WebAuthn: a thief holding only the connect key cannot take the owner's
 * authenticator away. Then it is an admin removal: the credential goes, every socket of the
 * device gets `revoked`, the user's other devices `notice` `authenticator_removed`.
 */
export class DeviceSelfRemoval implements DeviceRemoval {
  constructor(private readonly deps: SelfRemovalDeps) {}

  async remove(socket: PinSocket, device: DecidingDevice, message: RemoveMessage): Promise<ErrorMessage | null> {
    const refused = await acceptDeviceAction({
      relayOrigin: this.deps.relayOrigin(),
      socket,
      deviceId: device.id,
      approvalKey: device.approvalKey,
      action: 'remove',
      detail: '',
      signature: message.signature,
    });
    if (refused) return { type: 'error', ...refused, deviceId: device.id };
    this.deps.logger.info({ event: 'device.removed_by_device', deviceId: device.id }, 'device unregistered itself');
    if (!(await revokeDevice(this.deps, device.id))) {
      // Removed meanwhile (by an admin, or the person on the security info page).
      return { type: 'error', code: 'unknown_device', message: 'This authenticator is no longer registered.', deviceId: device.id };
    }
    return null;
  }
}
