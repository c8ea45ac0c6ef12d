import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { SigninClient } from '../../../testing/admin-client.ts';
import { copyProfile, expect, test, type LaunchedAuthenticator } from '../../../testing/playwright-fixture.ts';
import type { RunningRelay } from '../../../testing/start-relay.ts';
import { makeConnectKeyInPage, putRevision2RecordsInPage, revision2Records } from '../../fixtures/revision-2-profile.ts';
import { accountsOf, settingsOf } from './stored-records.ts';

/**
 * Issue 17 in real Chromium through the QA kit: what the relay's PIN counting (section 4a) looks
 * like to the person. Someone holding a copy of this browser's profile gets their wrong PINs
 * counted and shown to the owner; ten lock the PIN; a PIN change rekeys every relay; an account
 * paired under revision 2 upgrades at its next approval; "Remember my PIN" spares the unlock.
 */

const PIN = '135790';
const SCREENS = '.tmp/screens';

async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SCREENS}/${name}-${width}.png`, fullPage: true });
  }
}

/**
 * The owner's browser with alice paired, and a thief's: a copy of the owner's profile folder
 * taken while the browser was closed (the way browser data is stolen), started on its own.
 * Both are connected to the relay as the same authenticator when this returns.
 */
async function ownerAndThief(relay: RunningRelay, launch: (options?: { profileDir?: string }) => Promise<LaunchedAuthenticator>) {
  const first = await launch();
  await first.authenticator.setPin(PIN);
  await first.authenticator.pairUser(relay, 'alice@demo.test');
  await first.context.close();
  const stolen = copyProfile(first.profileDir);
  const owner = await launch({ profileDir: first.profileDir });
  owner.authenticator.pin = PIN;
  const thief = await launch({ profileDir: stolen });
  const ownerPopup = await owner.authenticator.openPopup();
  const thiefPopup = await thief.authenticator.openPopup();
  for (const popup of [ownerPopup, thiefPopup]) {
    await expect(popup.account('alice@demo.test')).toHaveAttribute('data-connection', 'connected');
  }
  return { owner, ownerPopup, thief, thiefPopup };
}

test.describe('PIN attempts counted by the relay, as the person sees them', () => {
  test("someone else's wrong PIN, from a copy of this browser, is shown to the owner as someone else's", async ({
    relay,
    launchAuthenticator,
  }) => {
    const { owner, ownerPopup, thief, thiefPopup } = await ownerAndThief(relay, launchAuthenticator);
    // The thief has the profile but not the PIN: a guess goes to the relay, which counts it.
    expect(await thiefPopup.changePin('000000', '111111')).toMatchObject({ ok: false, code: 'wrong_pin' });
    // The thief's browser goes away with the attempt unproven: a failure, told to every device.
    await thief.context.close();

    const notice = ownerPopup.notices('pin_failure');
    await expect(notice).toHaveCount(1);
    await expect(notice).toContainText("Someone else entered a wrong PIN for alice@demo.test on 'Chromium");
    // …and what to do about it: remove that browser's access on the security info page.
    await expect(notice.getByTestId('notice-advice')).toContainText("Remove 'Chromium on Linux' on your security info page");
    await screenshots(ownerPopup.page, 'someone-tried-your-pin');

    // The owner's own PIN still approves, with one failure used up.
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await owner.authenticator.approveNext({ number: signin.number });
    expect(await window.outcome()).toBe('approved');
    const failures = await relay.relay.store.db.selectFrom('pin_attempts').select('failed_at').where('failed_at', 'is not', null).execute();
    expect(failures).toHaveLength(1);
  });

  test('ten wrong PINs lock the PIN: the owner is told, approving says why, and "Add again" opens the security info page', async ({
    relay,
    launchAuthenticator,
  }) => {
    test.setTimeout(120_000);
    const { owner, ownerPopup, thief, thiefPopup } = await ownerAndThief(relay, launchAuthenticator);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const tried = await thiefPopup.changePin(String(100000 + attempt), '222222');
      expect(tried).toMatchObject({ ok: false, code: 'wrong_pin' });
      // Near the end the warning is plain.
      if (attempt === 8) expect(tried.text).toContain('2 attempts left before this account must be added again');
      if (attempt === 10) expect(tried.text).toContain('No attempts are left');
    }
    await thief.context.close();

    // Ten failures: the relay locks the PIN and tells every device.
    await expect(ownerPopup.notices('pin_locked')).toHaveCount(1, { timeout: 15_000 });
    // All ten were counted; the popup shows them as notices (failures made final at the same
    // moment carry the same time, and a notice is stored once per account, kind, name and time).
    const failed = await relay.relay.store.db.selectFrom('pin_attempts').select('failed_at').where('failed_at', 'is not', null).execute();
    expect(failed).toHaveLength(10);
    await expect(ownerPopup.notices('pin_failure').first()).toContainText('Someone else entered a wrong PIN for alice@demo.test');
    await expect(ownerPopup.notices('pin_locked')).toContainText('Too many wrong PINs');

    // The owner's next PIN approval is refused by the relay, and the window says what to do.
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await owner.authenticator.approveNext({ number: signin.number });
    await expect(window.error).toHaveAttribute('data-code', 'pin_locked');
    await expect(window.error).toContainText('Too many wrong PINs');
    await expect(window.error).toContainText('Nothing was signed');
    expect((await signins.getStatus(signin)).status).toBe('pending');
    // No PIN to type and nothing to remember: "Add again", Deny and "It wasn't me" remain.
    await expect(window.pinInput).toHaveCount(0);
    await expect(window.page.getByTestId('remember-pin')).toHaveCount(0);
    await expect(window.page.getByTestId('approve')).toBeDisabled();
    await expect(window.error.getByTestId('add-again')).toBeVisible();
    await expect(window.page.getByTestId('deny')).toBeEnabled();
    await expect(window.page.getByTestId('report')).toBeEnabled();
    await screenshots(window.page, 'pin-locked-approval');

    // The popup marks the account and offers "Add again", which opens the relay's security info page.
    const account = ownerPopup.account('alice@demo.test');
    await expect(account.getByTestId('pin-locked')).toContainText('Too many wrong PINs');
    await screenshots(ownerPopup.page, 'pin-locked-popup');
    const opened = owner.context.waitForEvent('page');
    await account.getByTestId('add-again').click();
    // The tab goes to the relay's security info page, which first asks the person to sign in there.
    const tab = await opened;
    await tab.waitForURL(`${relay.origin}/signin`);
    const asked = await tab.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).redirectCount);
    expect(asked).toBe(1);
    // …and remembers where the person was going: signing in there brings them back to it.
    const returnTo = (await owner.context.cookies(relay.origin)).find((cookie) => cookie.name === 'countersign_return_to');
    expect(decodeURIComponent(returnTo?.value ?? '')).toMatch(/^\d+\|\/security-info$/);
  });

  test('a PIN change rekeys the accounts on both relays; the old PIN opens nothing; an unreachable relay is named', async ({
    startRelay,
    authenticator,
  }) => {
    test.setTimeout(120_000);
    const [first, second] = [await startRelay(), await startRelay()];
    await authenticator.setPin(PIN);
    await authenticator.pairUser(first, 'alice@demo.test');
    await authenticator.pairUser(second, 'bob@demo.test');
    const before = accountsOf(await authenticator.readDatabase());
    const recorder = await authenticator.recordSentFrames();

    const popup = await authenticator.openPopup();
    const changed = await popup.changePin(PIN, '864202');
    expect(changed).toMatchObject({ ok: true });
    expect(changed.text).toContain('alice@demo.test');
    expect(changed.text).toContain('bob@demo.test');
    // One rekey per account (a new OPRF key on each relay), and every new wrap differs from the old.
    const rekeyed = recorder.frames().filter((frame) => frame.type === 'rekey');
    expect(rekeyed.map((frame) => frame.deviceId).sort()).toEqual(before.map((account) => account.deviceId).sort());
    await recorder.stop();
    const after = accountsOf(await authenticator.readDatabase());
    for (const account of after) {
      expect(account.pinWrap?.ciphertext).not.toBe(before.find((old) => old.deviceId === account.deviceId)?.pinWrap?.ciphertext);
    }

    // The old PIN is wrong now; the new one approves on each relay.
    const alice = await new SigninClient(first.origin).createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await window.decide('approve', { number: alice.number, pin: PIN });
    await expect(window.error).toHaveAttribute('data-code', 'wrong_pin');
    await window.decide('approve', { pin: '864202' });
    expect(await window.outcome()).toBe('approved');
    const bob = await new SigninClient(second.origin).createSignin({ upn: 'bob@demo.test', app: 'demo' });
    const bobWindow = await authenticator.approveNext({ number: bob.number, pin: '864202' });
    expect(await bobWindow.outcome()).toBe('approved');

    // A change needs every relay: with one gone, nothing changes and the popup names it.
    await second.stop();
    const refused = await popup.changePin('864202', '975313');
    expect(refused).toMatchObject({ ok: false, code: 'relays_unreachable' });
    expect(refused.text).toContain(second.origin);
    expect(accountsOf(await authenticator.readDatabase()).map((account) => account.pinWrap)).toEqual(
      after.map((account) => account.pinWrap),
    );
  });

  test('an account paired under revision 2 upgrades at its next approval: the old lock and its check value go', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin(PIN);
    const popup = await authenticator.openPopup();
    const deviceId = await storeRevision2Account(popup.page, relay, 'alice@demo.test', PIN);
    // As after a browser restart with the new extension: the worker starts and connects the account.
    await authenticator.stopServiceWorker();
    await popup.page.reload();
    const account = popup.account('alice@demo.test');
    await expect(account).toHaveAttribute('data-connection', 'connected');
    await expect(account.getByTestId('needs-upgrade')).toHaveText('Approve once to finish the security upgrade.');
    expect(Object.keys(settingsOf(await authenticator.readDatabase()))).toContain('lock');

    const recorder = await authenticator.recordSentFrames();
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await expect(window.page.getByTestId('upgrade-note')).toBeVisible();
    await window.decide('approve', { number: signin.number, pin: PIN });
    expect(await window.outcome()).toBe('approved');
    // The relay saw the unlock (and made this device's OPRF key at it), and the proof.
    const sent = recorder.frames().map((frame) => frame.type);
    expect(sent).toContain('unlock');
    expect(sent).toContain('unlock_proof');
    await recorder.stop();
    const keys = await relay.relay.store.db.selectFrom('device_pin_keys').select('device_id').where('device_id', '=', deviceId).execute();
    expect(keys).toHaveLength(1);

    // The old wrap, the lock and its check value are gone; the new wrap is there.
    const dump = await authenticator.readDatabase();
    expect(Object.keys(settingsOf(dump))).not.toContain('lock');
    const [upgraded] = accountsOf(dump);
    expect(upgraded).toMatchObject({ deviceId, status: 'active' });
    expect(upgraded!.wrappedKey).toBeUndefined();
    expect(Object.keys(upgraded!.pinWrap ?? {}).sort()).toEqual(['ciphertext', 'iv']);
    await expect(account.getByTestId('needs-upgrade')).toHaveCount(0);

    // The next approval unlocks through the relay alone.
    const next = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const again = await authenticator.approveNext({ number: next.number });
    expect(await again.outcome()).toBe('approved');
  });

  test('"Remember my PIN": a second approval within 5 minutes asks for no PIN and sends no unlock', async ({ relay, authenticator }) => {
    await authenticator.setPin(PIN);
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);
    const first = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await window.decide('approve', { number: first.number, pin: PIN, remember: true });
    expect(await window.outcome()).toBe('approved');

    const recorder = await authenticator.recordSentFrames();
    const second = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const next = await authenticator.nextApproval();
    await expect(next.page.getByTestId('pin-remembered')).toBeVisible();
    await expect(next.pinInput).toHaveCount(0);
    await next.decide('approve', { number: second.number });
    expect(await next.outcome()).toBe('approved');
    const sent = recorder.frames().map((frame) => frame.type);
    expect(sent).toContain('decision');
    expect(sent).not.toContain('unlock');
    await recorder.stop();
  });
});

/** A revision-2 account in this browser's profile (tests/fixtures/revision-2-profile.ts); returns the deviceId. */
async function storeRevision2Account(page: Page, relay: RunningRelay, upn: string, pin: string): Promise<string> {
  const connectPublicKey = await page.evaluate(makeConnectKeyInPage);
  const { deviceId, account, lock } = await revision2Records(relay, { upn, pin, connectPublicKey, deviceName: 'Chromium on Linux' });
  await page.evaluate(putRevision2RecordsInPage, { account, lock });
  return deviceId;
}
