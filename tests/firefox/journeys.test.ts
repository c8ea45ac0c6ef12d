import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdminClient, SigninClient, type CreatedSignin } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { FirefoxAuthenticator, PIN, type FirefoxPopup } from './firefox-authenticator.ts';

// One person's first day with the Firefox build, step by step in one browser: each step builds on
// the one before, as it would by hand.
describe('the extension in Firefox ESR', () => {
  const upn = 'fiona@firefox.test';
  let relay: RunningRelay;
  let firefox: FirefoxAuthenticator;
  let popup: FirefoxPopup;
  let signins: SigninClient;

  beforeAll(async () => {
    relay = await startRelay({ demo: false });
    try {
      firefox = await FirefoxAuthenticator.launch();
    } catch (error) {
      await relay.stop();
      throw error;
    }
    signins = new SigninClient(relay.address);
  });

  afterAll(async () => {
    try {
      await firefox?.close();
    } finally {
      await relay?.stop();
    }
  });

  async function status(signin: CreatedSignin): Promise<string> {
    return (await signins.getStatus(signin)).status;
  }

  it('opens the popup, which asks to add an account first', async () => {
    popup = await firefox.openPopup();
    await popup.page.waitForSelector('[data-testid=popup][data-has-pin=false] [data-testid=add-account-form]');
  });

  it('pairs by pasting a pairing link, choosing the PIN there (the relay evaluates it blinded)', async () => {
    const admin = new AdminClient(relay.address, relay.adminToken);
    await admin.createUser({ upn, displayName: 'Fiona Fox' });
    const offer = await admin.createPairing(upn);
    await popup.pair(offer.link, PIN);
    expect(await popup.accountText(upn)).toContain(upn);
    expect((await admin.getUser(upn)).devices).toHaveLength(1);
  });

  it('shows a notification and an approval window, and approves with the number and PIN (an unlock round trip)', async () => {
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    // Firefox refuses notification options it does not know; the notice must still be on screen.
    await vi.waitFor(async () => expect(await firefox.notificationIds(popup.page)).toContain(signin.requestId), { timeout: 10_000 });
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    expect(await status(signin)).toBe('approved');
    await vi.waitFor(async () => expect(await firefox.notificationIds(popup.page)).not.toContain(signin.requestId), { timeout: 10_000 });
  });

  it('denies the next request without a PIN, in the reused approval window', async () => {
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    await approval.deny();
    expect(await approval.outcome()).toBe('denied');
    expect(await status(signin)).toBe('denied');
  });

  it('approves again in the reused window, every keystroke of number and PIN arriving', async () => {
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    expect(await status(signin)).toBe('approved');
  });
});
