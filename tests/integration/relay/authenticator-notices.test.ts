import { describe, expect, it } from 'vitest';
import type { RelayToDeviceMessage } from '../../../protocol/index.ts';
import { pageBrowser } from '../pages/page-browser.ts';
import { pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { startTestRelay, type TestRelay } from '../helpers/test-relay.ts';

/** Remembers every message the relay hands the fan-out for a device. */
function recordDeviceMessages(relay: TestRelay): { deviceId: string; message: RelayToDeviceMessage }[] {
  const sent: { deviceId: string; message: RelayToDeviceMessage }[] = [];
  const fanout = relay.running.relay.fanout;
  const send = fanout.sendToDevice.bind(fanout);
  fanout.sendToDevice = (deviceId, message) => {
    sent.push({ deviceId, message });
    send(deviceId, message);
  };
  return sent;
}

/** A user with one raw device on an open socket, and another user with one too. */
async function twoUsersWithDevices() {
  const relay = await startTestRelay();
  const user = await relay.createUser({ password: 'a-good-password-1' });
  const first = await pairKeys(relay, user.upn, 'First laptop');
  const stranger = await relay.createUser();
  const strangers = await pairKeys(relay, stranger.upn, 'Not yours');
  const { raw } = await RawDeviceSocket.authenticated(relay.origin, [first, strangers]);
  return { relay, user, first, strangers, raw };
}

describe('notice frames (sections 3 and 4)', () => {
  it('tell the other devices of the user, and only them, that an authenticator was added', async () => {
    const { relay, user, first, strangers, raw } = await twoUsersWithDevices();
    const sent = recordDeviceMessages(relay);
    const second = await pairKeys(relay, user.upn, 'Second laptop');
    expect(await raw.next('notice')).toEqual({
      type: 'notice',
      deviceId: first.deviceId,
      kind: 'authenticator_added',
      name: 'Second laptop',
      at: relay.clock.now(),
    });
    expect(sent.filter(({ message }) => message.type === 'notice').map(({ deviceId }) => deviceId)).toEqual([first.deviceId]);
    expect(sent.some(({ deviceId }) => deviceId === second.deviceId || deviceId === strangers.deviceId)).toBe(false);

    // The third device's pairing tells both earlier ones, each in a frame addressed to it.
    const { raw: secondSocket } = await RawDeviceSocket.authenticated(relay.origin, [second]);
    await pairKeys(relay, user.upn, 'Third laptop');
    expect(await raw.next('notice', 1)).toMatchObject({ deviceId: first.deviceId, kind: 'authenticator_added', name: 'Third laptop' });
    expect(await secondSocket.next('notice')).toMatchObject({
      deviceId: second.deviceId,
      kind: 'authenticator_added',
      name: 'Third laptop',
    });
    expect(raw.all('notice')).toHaveLength(2);
  });

  it('tell the other devices when an admin removes one, and the removed one only gets revoked', async () => {
    const { relay, user, first, raw } = await twoUsersWithDevices();
    const second = await pairKeys(relay, user.upn, 'Lost phone');
    await raw.next('notice');
    const { raw: lostSocket } = await RawDeviceSocket.authenticated(relay.origin, [second]);
    await relay.admin.revokeDevice(second.deviceId);
    expect(await raw.next('notice', 1)).toEqual({
      type: 'notice',
      deviceId: first.deviceId,
      kind: 'authenticator_removed',
      name: 'Lost phone',
      at: relay.clock.now(),
    });
    expect(await lostSocket.next('revoked')).toEqual({ type: 'revoked', deviceId: second.deviceId });
    expect((await lostSocket.waitForClose()).code).toBe(4403);
    expect(lostSocket.all('notice')).toEqual([]);
  });

  it('tell the other devices when the user removes one on the security info page', async () => {
    const { relay, user, first, raw } = await twoUsersWithDevices();
    const second = await pairKeys(relay, user.upn, 'Old tablet');
    await raw.next('notice');
    const browser = pageBrowser(relay.running.relay, relay.origin);
    expect((await browser.signInWithPassword(user.upn, 'a-good-password-1')).status).toBe(303);
    await browser.get('/security-info');
    expect((await browser.post(`/security-info/devices/${second.deviceId}/remove`, {})).status).toBe(303);
    expect(await raw.next('notice', 1)).toMatchObject({ deviceId: first.deviceId, kind: 'authenticator_removed', name: 'Old tablet' });
  });

  it('are not sent to the removed device when it was the last one', async () => {
    const { relay, first, raw } = await twoUsersWithDevices();
    const sent = recordDeviceMessages(relay);
    await relay.admin.revokeDevice(first.deviceId);
    await raw.next('revoked');
    expect(sent).toEqual([{ deviceId: first.deviceId, message: { type: 'revoked', deviceId: first.deviceId } }]);
  });
});
