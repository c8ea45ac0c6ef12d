import { describe, expect, it } from 'vitest';
import { startTestRelay } from '../helpers/test-relay.ts';

/**
 * Section 4, `remove`, through the real relay with the virtual device (the device core the
 * extension shares): removing an account on the device unregisters it, so the next sign-in does
 * not wait for an authenticator that no longer exists.
 */
describe('VirtualDevice.remove()', () => {
  it('unlocks with the PIN, unregisters the authenticator, forgets the account; the next sign-in has no push method', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const { device, deviceId } = await relay.pairDevice(user.upn, { deviceName: 'Work laptop' });
    const { device: phone } = await relay.pairDevice(user.upn, { deviceName: 'Phone' });
    expect((await relay.admin.getUser(user.upn)).devices.map((d) => d.name)).toEqual(['Work laptop', 'Phone']);

    await device.remove(deviceId);

    expect(device.accounts()).toEqual([]);
    expect((await relay.admin.getUser(user.upn)).devices.map((d) => d.name)).toEqual(['Phone']);
    expect(await phone.waitForNotice((n) => n.kind === 'authenticator_removed')).toMatchObject({ name: 'Work laptop' });
    // The PIN was asked for: one counted attempt, proven.
    const attempts = await relay.running.relay.store.db.selectFrom('pin_attempts').selectAll().execute();
    expect(attempts.filter((a) => a.device_id === deviceId && a.failed_at != null)).toEqual([]);

    await phone.remove((await relay.admin.getUser(user.upn)).devices[0]!.deviceId);
    await expect(relay.signin.createSignin({ upn: user.upn })).rejects.toMatchObject({ code: 'no_push_method' });
  });

  it('with a wrong PIN: rejected with wrong_pin, the relay and the device keep the account', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const { device, deviceId } = await relay.pairDevice(user.upn);
    await expect(device.remove(deviceId, { pin: '000000' })).rejects.toMatchObject({ code: 'wrong_pin' });
    expect(device.accounts().map((a) => a.deviceId)).toEqual([deviceId]);
    expect((await relay.admin.getUser(user.upn)).devices.map((d) => d.deviceId)).toEqual([deviceId]);
  });
});
