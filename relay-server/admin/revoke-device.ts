import type { RelayDeps } from '../relay-deps.ts';

/** Removes a device's credential and tells it, wherever it is connected, to forget the account. */
export async function revokeDevice(deps: Pick<RelayDeps, 'store' | 'fanout' | 'logger'>, deviceId: string): Promise<boolean> {
  const removed = await deps.store.devices.remove(deviceId);
  if (!removed) return false;
  deps.fanout.sendToDevice(deviceId, { type: 'revoked', deviceId });
  deps.logger.info({ event: 'device.revoked', deviceId }, 'device revoked');
  return true;
}
