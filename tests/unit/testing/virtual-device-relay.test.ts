import { describe, expect, it, onTestFinished } from 'vitest';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay } from '../../../testing/start-relay.ts';
import { VirtualDevice, type VirtualDeviceOptions } from '../../../testing/virtual-device.ts';

/**
 * The virtual device's revision 2 options against a real relay (in this process, port 0): which
 * key signs what, `unlock`, and notices. These check the relay's side as much as the device's.
 */

const WAIT_MS = 5_000;
let users = 0;

async function relayWithUser() {
  const relay = await startRelay({ demo: false });
  onTestFinished(() => relay.stop());
  const admin = new AdminClient(relay.origin, relay.adminToken);
  users += 1;
  const user = { upn: `user${users}@example.test`, displayName: `User ${users}` };
  await admin.createUser(user);
  return { relay, admin, signins: new SigninClient(relay.origin), upn: user.upn };
}

async function pairedDevice(admin: AdminClient, upn: string, options: VirtualDeviceOptions = {}) {
  const device = await VirtualDevice.open({ timeoutMs: WAIT_MS, ...options });
  onTestFinished(() => device.close());
  const account = await device.pair((await admin.createPairing(upn)).link, options.deviceName ? { deviceName: options.deviceName } : {});
  await device.connect();
  return { device, account };
}

describe('VirtualDevice against a real relay (protocol revision 2)', () => {
  it('approves with the approval key, and the session says pin', async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(await signins.waitForOutcome(signin)).toMatchObject({ status: 'approved' });
    expect((await signins.complete(signin)).session.amr).toEqual(expect.arrayContaining(['swk', 'pin', 'mfa']));
  });

  it("approves with unlock 'webauthn', and the session says hwk", async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn, { unlock: 'webauthn' });
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    const { amr } = (await signins.complete(signin)).session;
    expect(amr).toEqual(expect.arrayContaining(['swk', 'hwk', 'mfa']));
    expect(amr).not.toContain('pin');
  });

  it('gets rejected for an approve signed with the connect key, and the request stays pending', async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    const result = await device.sendDecision({
      requestId: signin.requestId,
      decision: 'approve',
      number: signin.number,
      signWith: 'connect',
    });

    expect(result).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await signins.getStatus(signin)).toMatchObject({ status: 'pending' });
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
  });

  it.each([
    ['deny', 'denied'],
    ['report', 'reported'],
  ] as const)('takes a %s signed with the connect key and unlock none', async (decision, outcome) => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    expect((await device[decision](signin.requestId)).outcome).toBe(outcome);
    expect(await signins.waitForOutcome(signin)).toMatchObject({ status: outcome });
  });

  it('takes a deny signed with the approval key (either key may refuse)', async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    expect((await device.sendDecision({ requestId: signin.requestId, decision: 'deny', signWith: 'approval' })).outcome).toBe('denied');
  });

  it("gets rejected for a deny signed with the approval key that claims unlock 'none'", async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    const result = await device.sendDecision({ requestId: signin.requestId, decision: 'deny', unlock: 'none', signWith: 'approval' });

    expect(result).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await signins.getStatus(signin)).toMatchObject({ status: 'pending' });
  });

  it('tells the other devices of the user when an authenticator is added and removed', async () => {
    const { admin, upn } = await relayWithUser();
    const { device } = await pairedDevice(admin, upn);

    const { account: laptop } = await pairedDevice(admin, upn, { deviceName: 'Work laptop' });
    const added = await device.waitForNotice((notice) => notice.kind === 'authenticator_added');
    expect(added).toMatchObject({ deviceId: device.accounts()[0]!.deviceId, name: 'Work laptop' });

    await admin.revokeDevice(laptop.deviceId);
    await expect(device.waitForNotice((notice) => notice.kind === 'authenticator_removed')).resolves.toMatchObject({ name: 'Work laptop' });
  });
});

describe('VirtualDevice against a real relay (protocol revision 3, section 4a)', () => {
  it('reports a wrong PIN with the relay count, then approves with the right one', async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device, account } = await pairedDevice(admin, upn);
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);

    await expect(device.approve(signin.requestId, signin.number, { pin: '000000' })).rejects.toMatchObject({
      code: 'wrong_pin',
      attemptsLeft: 9,
    });
    expect(await signins.getStatus(signin)).toMatchObject({ status: 'pending' });
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
    expect(device.accounts()).toEqual([account]);
  });

  it('changes the PIN with rekey: the old PIN opens nothing after, the new one approves', async () => {
    const { admin, signins, upn } = await relayWithUser();
    const { device, account } = await pairedDevice(admin, upn);

    expect(await device.changePin('123456', '975310')).toEqual({ changed: [account], failed: [] });

    await expect(device.tryPin(account.deviceId, '123456')).rejects.toMatchObject({ code: 'wrong_pin' });
    const signin = await signins.createSignin({ upn });
    await device.waitForChallenge((challenge) => challenge.requestId === signin.requestId);
    expect((await device.approve(signin.requestId, signin.number)).outcome).toBe('approved');
  });
});
