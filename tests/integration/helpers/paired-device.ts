import type { AdminClient } from '../../../testing/admin-client.ts';
import { VirtualDevice, type VirtualDeviceOptions } from '../../../testing/virtual-device.ts';

/** Creates the user through the admin API, pairs a new virtual device to it and connects it. */
export async function userWithConnectedDevice(
  admin: AdminClient,
  user: { upn: string; displayName: string },
  options: VirtualDeviceOptions = {},
): Promise<VirtualDevice> {
  await admin.createUser(user);
  const device = await VirtualDevice.open(options);
  await device.pair((await admin.createPairing(user.upn)).link);
  await device.connect();
  return device;
}
