import { mkdirSync } from 'node:fs';
import { SigninClient } from '../../../testing/admin-client.ts';
import { expect, test } from '../../../testing/playwright-fixture.ts';

/** Section 4a in real Chromium: the PIN is checked by the relay's evaluation, never by anything stored. */
test.describe('the PIN, hardened by the relay', () => {
  test('approving runs the unlock round trip: unlock, then the proof, then the decision', async ({ relay, authenticator }) => {
    await authenticator.setPin('135790');
    await authenticator.pairUser(relay, 'alice@demo.test');
    const recorder = await authenticator.recordSentFrames();
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.approveNext({ number: signin.number });
    expect(await window.outcome()).toBe('approved');
    const types = recorder.frames().map((frame) => frame.type);
    expect(types.indexOf('unlock')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('unlock_proof')).toBeGreaterThan(types.indexOf('unlock'));
    expect(types.indexOf('decision')).toBeGreaterThan(types.indexOf('unlock_proof'));
    // The PIN itself never crosses the socket.
    expect(JSON.stringify(recorder.frames())).not.toContain('135790');
    await recorder.stop();
  });

  test('three wrong PINs say so with the attempts left, sign nothing, and the right one then approves', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin('135790');
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await window.fill({ number: signin.number });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await window.decide('approve', { pin: '000000' });
      await expect(window.error).toHaveAttribute('data-code', 'wrong_pin');
      await expect(window.error).toContainText('Nothing was signed');
      await expect(window.error).toContainText(/\d+ attempts? left/);
      if (attempt === 3) {
        mkdirSync('.tmp/screens', { recursive: true });
        for (const width of [390, 1280]) {
          await window.page.setViewportSize({ width, height: 900 });
          await window.page.screenshot({ path: `.tmp/screens/wrong-pin-${width}.png`, fullPage: true });
        }
      }
      await window.error.evaluate((node) => node.remove());
    }
    expect((await signins.getStatus(signin)).status).toBe('pending');
    await window.decide('approve', { pin: '135790' });
    expect(await window.outcome()).toBe('approved');
  });

  test('the first pairing chooses the PIN; a later one checks it with the relay', async ({ page, relay, authenticator }) => {
    const popup = await authenticator.openPopup();
    await expect(popup.page.getByTestId('pair-pin-again')).toBeVisible();
    mkdirSync('.tmp/screens', { recursive: true });
    for (const width of [390, 1280]) {
      await popup.page.setViewportSize({ width, height: 900 });
      await popup.page.screenshot({ path: `.tmp/screens/choose-pin-${width}.png`, fullPage: true });
    }
    await popup.page.close();
    await authenticator.setPin('135790');
    await authenticator.pairUser(relay, 'alice@demo.test');
    authenticator.pin = '999999';
    await expect(authenticator.pairUser(relay, 'bob@demo.test')).rejects.toThrow(/Wrong PIN/);
    authenticator.pin = '135790';
    await authenticator.pairUser(relay, 'bob@demo.test');
    void page;
  });
});
