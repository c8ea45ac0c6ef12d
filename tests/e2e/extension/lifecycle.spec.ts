import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../../relay-server/clock.ts';
import { SigninClient } from '../../../testing/admin-client.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';

test.describe('requests that end without this device deciding', () => {
  test('expiry is seen on both sides', async ({ startRelay, authenticator }) => {
    // The relay's clock starts at the real time and moves only when told, so no test waits 2 minutes.
    const clock = new ManualClock(Date.now());
    const relay = await startRelay({ clock });
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'wiki' });
    const window = await authenticator.nextApproval();
    await expect(window.page.getByTestId('countdown')).toHaveText(/^[12]:\d\d$/);

    clock.advance(121_000);
    await relay.relay.signins.expireDue();

    expect(await window.outcome()).toBe('expired');
    expect((await signins.getStatus(signin)).status).toBe('expired');
  });

  test('a request approved in one browser is withdrawn from the other', async ({ relay, authenticator, launchAuthenticator }) => {
    const second = (await launchAuthenticator()).authenticator;
    for (const device of [authenticator, second]) {
      await device.setPin();
      await device.pairUser(relay, 'alice@demo.test');
    }
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const [first, other] = await Promise.all([authenticator.nextApproval(), second.nextApproval()]);

    await first.decide('approve', { number: signin.number, pin: authenticator.pin });
    expect(await first.outcome()).toBe('approved');
    expect(await other.outcome()).toBe('handled_elsewhere');
    expect((await signins.getStatus(signin)).status).toBe('approved');
  });
});

test.describe('many accounts', () => {
  test('two accounts on two relays at once', async ({ startRelay, authenticator }) => {
    const [north, south] = [await startRelay(), await startRelay()];
    await authenticator.setPin();
    await authenticator.pairUser(north, 'alice@demo.test');
    await authenticator.pairUser(south, 'bob@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
    await expect(popup.account('bob@demo.test')).toHaveAttribute('data-connection', 'connected');
    await popup.page.close();

    for (const [relay, upn] of [
      [north, 'alice@demo.test'],
      [south, 'bob@demo.test'],
    ] as const) {
      const signins = new SigninClient(relay.origin);
      const signin = await signins.createSignin({ upn, app: 'demo' });
      const window = await authenticator.nextApproval();
      await expect(window.page.getByTestId('request-account')).toContainText(upn);
      await window.decide('approve', { number: signin.number, pin: authenticator.pin });
      expect(await window.outcome()).toBe('approved');
      expect((await signins.getStatus(signin)).status).toBe('approved');
    }
  });
});

test.describe('an account added on a relay already connected', () => {
  test('gets its requests at once (the connection authenticates it on a new socket)', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const popup = await authenticator.openPopup();
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');

    await authenticator.pairUser(relay, 'bob@demo.test');
    const signins = new SigninClient(relay.origin);
    for (const upn of ['bob@demo.test', 'alice@demo.test']) {
      const signin = await signins.createSignin({ upn, app: 'demo' });
      const window = await authenticator.nextApproval({ timeout: 10_000 });
      await expect(window.page.getByTestId('request-account')).toContainText(upn);
      await window.decide('approve', { number: signin.number, pin: authenticator.pin });
      expect(await window.outcome()).toBe('approved');
    }
  });
});

test.describe('resilience', () => {
  test('a stopped service worker comes back and still gets the next sign-in', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.stopServiceWorker();

    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    // Nothing wakes a killed worker but the 30 s watchdog alarm; it then reconnects and the relay
    // re-sends the pending challenge after `ready`.
    const window = await authenticator.approveNext({ number: signin.number, timeout: 45_000 });
    expect(await window.outcome()).toBe('approved');
    expect((await signins.getStatus(signin)).status).toBe('approved');
  });

  test('a pending request survives the service worker stopping', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await authenticator.stopServiceWorker();

    await window.decide('approve', { number: signin.number, pin: authenticator.pin });
    expect(await window.outcome()).toBe('approved');
  });

  test('after a relay restart a new sign-in works without touching the extension', async ({ startRelay, authenticator }) => {
    const dataDir = mkdtempSync(path.join(mkdirTmp(), 'relay-'));
    try {
      const before = await startRelay({ dataDir });
      const port = Number(new URL(before.origin).port);
      await authenticator.setPin();
      await authenticator.pairUser(before, 'alice@demo.test');
      await before.stop();

      const after = await startRelay({ dataDir, port });
      const signins = new SigninClient(after.origin);
      const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
      const window = await authenticator.approveNext({ number: signin.number });
      expect(await window.outcome()).toBe('approved');
      expect((await signins.getStatus(signin)).status).toBe('approved');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function mkdirTmp(): string {
  const dir = path.resolve('.tmp', 'relays');
  mkdirSync(dir, { recursive: true });
  return dir;
}
