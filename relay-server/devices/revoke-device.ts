import { noticeOtherAuthenticators, type NoticeDeps } from './authenticator-notice.ts';

/**
 * Removes a device's credential and tells it, wherever it is connected, to forget the account;
 * the user's other active devices get `notice` `authenticator_removed`.
 */
export async function revokeDevice(deps: NoticeDeps, deviceId: string): Promise<boolean> {
  const removed = await deps.store.devices.remove(deviceId);
  if (!removed) return false;
  deps.fanout.sendToDevice(deviceId, { type: 'revoked', deviceId });
  deps.logger.info({ event: 'device.revoked', deviceId }, 'device revoked');
  await noticeOtherAuthenticators(deps, { userId: removed.user_id, kind: 'authenticator_removed', name: removed.name, deviceId });
  return true;
}
