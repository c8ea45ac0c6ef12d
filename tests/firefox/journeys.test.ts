import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../../protocol/index.ts';
import { AdminClient, SigninClient, type CreatedSignin } from '../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { FirefoxAuthenticator, PIN, type FirefoxPopup } from './firefox-authenticator.ts';

// One person's first day with the Firefox build. Each test starts its own Firefox (a fresh
// profile) and its own person on one relay, and brings the steps before it that it needs, so any
// one of them runs alone.
describe('the extension in Firefox ESR', () => {
  let relay: RunningRelay;
  let admin: AdminClient;
  let signins: SigninClient;
  let firefox: FirefoxAuthenticator;

  beforeAll(async () => {
    relay = await startRelay({ demo: false });
    admin = new AdminClient(relay.address, relay.adminToken);
    signins = new SigninClient(relay.address);
  });

  afterAll(async () => {
    await relay?.stop();
  });

  beforeEach(async () => {
    firefox = await FirefoxAuthenticator.launch();
  });

  afterEach(async () => {
    await firefox?.close();
  });

  async function status(signin: CreatedSignin): Promise<string> {
    return (await signins.getStatus(signin)).status;
  }

  /** A new person, created on the relay, without a device yet. */
  async function newPerson(): Promise<string> {
    const upn = `fiona-${randomId().slice(0, 8).toLowerCase()}@firefox.test`;
    await admin.createUser({ upn, displayName: 'Fiona Fox' });
    return upn;
  }

  /** A new person paired in this test's Firefox; the popup stays open. */
  async function pairedPerson(): Promise<{ upn: string; popup: FirefoxPopup }> {
    const upn = await newPerson();
    const popup = await firefox.openPopup();
    await popup.pair((await admin.createPairing(upn)).link, PIN);
    return { upn, popup };
  }

  /** A sign-in approved with the number and PIN, which leaves the approval window open for the next one. */
  async function approveOne(upn: string): Promise<void> {
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
  }

  it('opens the popup, which asks to add an account first', async () => {
    const popup = await firefox.openPopup();
    await popup.page.waitForSelector('[data-testid=popup][data-has-pin=false] [data-testid=add-account-form]');
  });

  it('pairs by pasting a pairing link, choosing the PIN there (the relay evaluates it blinded)', async () => {
    const upn = await newPerson();
    const popup = await firefox.openPopup();
    await popup.pair((await admin.createPairing(upn)).link, PIN);
    expect(await popup.accountText(upn)).toContain(upn);
    expect((await admin.getUser(upn)).devices).toHaveLength(1);
  });

  it('shows a notification and an approval window, and approves with the number and PIN (an unlock round trip)', async () => {
    const { upn, popup } = await pairedPerson();
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
    const { upn } = await pairedPerson();
    await approveOne(upn);
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    await approval.deny();
    expect(await approval.outcome()).toBe('denied');
    expect(await status(signin)).toBe('denied');
  });

  it('approves again in the reused window, every keystroke of number and PIN arriving', async () => {
    const { upn } = await pairedPerson();
    await approveOne(upn);
    const signin = await signins.createSignin({ upn });
    const approval = await firefox.nextApproval();
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    expect(await status(signin)).toBe('approved');
  });
});
