import { mkdirSync } from 'node:fs';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdminClient, SigninClient } from '../../testing/admin-client.ts';
import { EXTENSION_UI } from '../../testing/extension-ui.ts';
import { startRelay, type RunningRelay } from '../../testing/start-relay.ts';
import { makeConnectKeyInPage, putRevision2RecordsInPage, revision2Records } from '../fixtures/revision-2-profile.ts';
import { recordPinSteps } from '../fixtures/relay-recorder.ts';
import { FirefoxAuthenticator, PIN, type FirefoxPopup } from './firefox-authenticator.ts';

/**
 * Issue 17 in Firefox ESR: the PIN hardened by the relay (section 4a), as the person sees it. The
 * same journeys as tests/e2e/extension/pin.spec.ts and pin-relay.spec.ts in Chromium; where
 * Chromium watches the extension's socket over DevTools, these watch the relay (fixtures/relay-recorder.ts).
 */

const NEW_PIN = '864202';
const SCREENS = '.tmp/screens';
const DEVICE_NAME = 'Firefox on Linux';

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  await page.setViewport({ width: 390, height: 900 });
  await page.screenshot({ path: `${SCREENS}/firefox-${name}-390.png`, fullPage: true });
}

/** Every record of the extension's IndexedDB, store by store (CryptoKeys left out), read on one of its pages. */
async function readDatabase(page: Page): Promise<Record<string, Array<Record<string, unknown>>>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('countersign');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
    });
    try {
      const stores: Record<string, Array<Record<string, unknown>>> = {};
      for (const name of Array.from(db.objectStoreNames)) {
        const values = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
          const request = db.transaction(name).objectStore(name).getAll();
          request.onsuccess = () => resolve(request.result as Array<Record<string, unknown>>);
          request.onerror = () => reject(request.error ?? new Error('IndexedDB read failed'));
        });
        stores[name] = values.map((value) =>
          Object.fromEntries(Object.entries(value).filter(([, inner]) => !(inner instanceof CryptoKey))),
        );
      }
      return stores;
    } finally {
      db.close();
    }
  });
}

async function failures(relay: RunningRelay): Promise<number> {
  return (await relay.relay.store.db.selectFrom('pin_attempts').select('failed_at').where('failed_at', 'is not', null).execute()).length;
}

describe('approving with the PIN in Firefox: the unlock round trip, wrong PINs, then the right one', () => {
  const upn = 'alice@demo.test';
  let relay: RunningRelay;
  let firefox: FirefoxAuthenticator;

  beforeAll(async () => {
    relay = await startRelay({ demo: true });
    firefox = await FirefoxAuthenticator.launch().catch(async (error: unknown) => {
      await relay.stop();
      throw error;
    });
    const popup = await firefox.openPopup();
    await popup.pair((await new AdminClient(relay.origin, relay.adminToken).createPairing(upn)).link, PIN);
    await popup.page.close();
  });

  afterAll(async () => {
    try {
      await firefox?.close();
    } finally {
      await relay?.stop();
    }
  });

  it('approving runs unlock, then the proof, then the decision', async () => {
    const recorder = recordPinSteps(relay.relay);
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn, app: 'demo' });
    const approval = await firefox.nextApproval();
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    expect((await signins.getStatus(signin)).status).toBe('approved');
    recorder.stop();
    expect(recorder.steps().map((step) => step.step)).toEqual(['unlock', 'unlock_proof', 'decision']);
  });

  it('three wrong PINs say so with the attempts left and sign nothing; the right one then approves', async () => {
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn, app: 'demo' });
    const approval = await firefox.nextApproval();
    await approval.fill({ number: signin.number });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await approval.fill({ pin: '000000' });
      await approval.submit();
      const error = await approval.takeError();
      expect(error.code).toBe('wrong_pin');
      expect(error.text).toContain('Nothing was signed');
      expect(error.text).toContain(`${10 - attempt} attempts left`);
    }
    expect((await signins.getStatus(signin)).status).toBe('pending');
    await approval.fill({ pin: PIN });
    await approval.submit();
    expect(await approval.outcome()).toBe('approved');
    expect((await signins.getStatus(signin)).status).toBe('approved');
  });
});

/**
 * The owner's Firefox with alice paired, and a thief's: a copy of the owner's profile folder taken
 * while Firefox was closed, started on its own. Each test starts from there on a relay of its own:
 * one wrong PIN from the copy is shown to the owner as someone else's; ten lock the PIN.
 */
describe("someone else's wrong PINs, from a copy of this Firefox profile, and the lock after ten", () => {
  const upn = 'alice@demo.test';
  let relay: RunningRelay;
  let ownerDir: string;
  let stolenDir: string;
  let owner: FirefoxAuthenticator | undefined;
  let thief: FirefoxAuthenticator | undefined;
  let ownerPopup: FirefoxPopup;

  async function thiefPopup(): Promise<FirefoxPopup> {
    thief = await FirefoxAuthenticator.launch({ profileDir: stolenDir });
    const popup = await thief.openPopup();
    await popup.waitForAccount(upn, 'data-connection=connected');
    return popup;
  }

  async function thiefLeaves(): Promise<void> {
    await thief?.close();
    thief = undefined;
  }

  /** Ten wrong PINs from the copy, each told so by the relay; the thief's Firefox then goes. */
  async function thiefLocksThePin(): Promise<Array<{ ok: boolean; code: string | null; text: string }>> {
    const popup = await thiefPopup();
    const tries = [];
    for (let attempt = 1; attempt <= 10; attempt++) {
      const tried = await popup.changePin(String(100000 + attempt), '222222');
      expect(tried).toMatchObject({ ok: false, code: 'wrong_pin' });
      tries.push(tried);
    }
    await thiefLeaves();
    return tries;
  }

  beforeEach(async () => {
    relay = await startRelay({ demo: true });
    ownerDir = FirefoxAuthenticator.newProfile();
    const first = await FirefoxAuthenticator.launch({ profileDir: ownerDir });
    try {
      const popup = await first.openPopup();
      await popup.pair((await new AdminClient(relay.origin, relay.adminToken).createPairing(upn)).link, PIN);
    } finally {
      await first.close();
    }
    stolenDir = FirefoxAuthenticator.copyProfile(ownerDir);
    owner = await FirefoxAuthenticator.launch({ profileDir: ownerDir });
    ownerPopup = await owner.openPopup();
    await ownerPopup.waitForAccount(upn, 'data-connection=connected');
  }, 90_000);

  afterEach(async () => {
    try {
      await thiefLeaves();
      await owner?.close();
      owner = undefined;
    } finally {
      await relay?.stop();
      for (const dir of [ownerDir, stolenDir]) if (dir) FirefoxAuthenticator.removeProfile(dir);
    }
  });

  it("shows the owner someone else's wrong PIN, and what to do; the owner's own PIN still approves", async () => {
    const popup = await thiefPopup();
    // The thief has the profile but not the PIN: a guess goes to the relay, which counts it.
    expect(await popup.changePin('000000', '111111')).toMatchObject({ ok: false, code: 'wrong_pin' });
    // The thief's Firefox goes away with the attempt unproven: a failure, told to every device.
    await thiefLeaves();

    const [notice] = await ownerPopup.notices('pin_failure');
    expect(notice).toContain(`Someone else entered a wrong PIN for ${upn} on '${DEVICE_NAME}'`);
    expect(notice).toContain(`Remove '${DEVICE_NAME}' on your security info page`);
    await screenshot(ownerPopup.page, 'someone-tried-your-pin');
    expect(await failures(relay)).toBe(1);

    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn, app: 'demo' });
    const approval = await owner!.nextApproval();
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    expect(await failures(relay)).toBe(1);
  }, 60_000);

  it('locks the PIN after ten: the owner is told, the approval window says why and offers only "Add again", Deny and "It wasn\'t me"', async () => {
    const tries = await thiefLocksThePin();
    // Near the end the warning is plain.
    expect(tries[7]!.text).toContain('2 attempts left before this account must be added again');
    expect(tries[9]!.text).toContain('No attempts are left');

    expect(await ownerPopup.notices('pin_locked')).toEqual([expect.stringContaining('Too many wrong PINs')]);
    expect(await failures(relay)).toBe(10);

    // The owner's next PIN approval is refused by the relay, and the window says what to do.
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn, app: 'demo' });
    const approval = await owner!.nextApproval();
    await approval.approve(signin.number, PIN);
    const error = await approval.error();
    expect(error?.code).toBe('pin_locked');
    expect(error?.text).toContain('Too many wrong PINs');
    expect(error?.text).toContain('Nothing was signed');
    // No PIN to type and nothing to remember; Approve stays off, the rest is there.
    expect(await approval.has('pin-input')).toBe(false);
    expect(await approval.has('remember-pin')).toBe(false);
    expect(await approval.has('add-again')).toBe(true);
    expect(await approval.disabled('approve')).toBe(true);
    expect(await approval.disabled('deny')).toBe(false);
    expect(await approval.disabled('report')).toBe(false);
    await screenshot(approval.page, 'pin-locked-approval');
    expect((await signins.getStatus(signin)).status).toBe('pending');
    // The popup marks the account too.
    expect(await ownerPopup.accountPart(upn, 'pin-locked')).toContain('Too many wrong PINs');

    // Deny needs no PIN, locked or not.
    await approval.deny();
    expect(await approval.outcome()).toBe('denied');
    expect((await signins.getStatus(signin)).status).toBe('denied');
  }, 120_000);

  it('"Add again" opens the relay\'s security info page, which remembers it through the sign-in', async () => {
    // The account shows "Add again" once an approval of the owner's was refused as locked.
    await thiefLocksThePin();
    const signin = await new SigninClient(relay.origin).createSignin({ upn, app: 'demo' });
    const approval = await owner!.nextApproval();
    await approval.approve(signin.number, PIN);
    expect((await approval.error())?.code).toBe('pin_locked');
    await approval.deny();
    const before = new Set(await owner!.browser.pages());
    await ownerPopup.page.locator(EXTENSION_UI.popup.accountPart(upn, 'add-again')).click();
    const tab = await vi.waitFor(
      async () => {
        const opened = (await owner!.browser.pages()).find((page) => !before.has(page) && page.url().startsWith(relay.origin));
        if (!opened) throw new Error('no new tab on the relay');
        return opened;
      },
      { timeout: 15_000, interval: 100 },
    );
    // Signed out there: the relay asks to sign in first, and keeps where the person was going.
    await tab.waitForFunction((origin) => location.href === `${origin}/signin`, { timeout: 15_000 }, relay.origin);
    const cookies = await owner!.browser.cookies();
    const returnTo = cookies.find((cookie) => cookie.name === 'countersign_return_to');
    expect(decodeURIComponent(returnTo?.value ?? '')).toMatch(/^\d+\|\/security-info$/);
  }, 120_000);
});

describe('a PIN change in Firefox with two accounts on two relays', () => {
  let first: RunningRelay;
  let second: RunningRelay;
  let firefox: FirefoxAuthenticator;

  beforeAll(async () => {
    [first, second] = [await startRelay({ demo: true }), await startRelay({ demo: true })];
    firefox = await FirefoxAuthenticator.launch();
  }, 60_000);

  afterAll(async () => {
    try {
      await firefox?.close();
    } finally {
      await first?.stop();
      await second?.stop().catch(() => undefined);
    }
  });

  it('rekeys both accounts; the old PIN opens nothing; an unreachable relay is named and nothing changes', async () => {
    const popup = await firefox.openPopup();
    await popup.pair((await new AdminClient(first.origin, first.adminToken).createPairing('alice@demo.test')).link, PIN);
    await popup.pair((await new AdminClient(second.origin, second.adminToken).createPairing('bob@demo.test')).link, PIN);
    const before = (await readDatabase(popup.page)).accounts ?? [];
    expect(before).toHaveLength(2);
    const recorders = [recordPinSteps(first.relay), recordPinSteps(second.relay)];

    const changed = await popup.changePin(PIN, NEW_PIN);
    expect(changed).toMatchObject({ ok: true });
    expect(changed.text).toContain('alice@demo.test');
    expect(changed.text).toContain('bob@demo.test');
    for (const recorder of recorders) recorder.stop();
    // One rekey per account, each on its own relay (a new OPRF key there), and every new wrap differs.
    const rekeyed = recorders.map((recorder) =>
      recorder
        .steps()
        .filter((step) => step.step === 'rekey')
        .map((step) => step.deviceId),
    );
    const deviceOf = (upn: string) => before.find((account) => account.upn === upn)?.deviceId;
    expect(rekeyed).toEqual([[deviceOf('alice@demo.test')], [deviceOf('bob@demo.test')]]);
    const after = (await readDatabase(popup.page)).accounts ?? [];
    for (const account of after) {
      const old = before.find((record) => record.deviceId === account.deviceId);
      expect(JSON.stringify(account.pinWrap)).not.toBe(JSON.stringify(old?.pinWrap));
    }

    // The old PIN is wrong now; the new one approves on each relay.
    const alice = await new SigninClient(first.origin).createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const approval = await firefox.nextApproval();
    await approval.approve(alice.number, PIN);
    expect((await approval.takeError()).code).toBe('wrong_pin');
    await approval.fill({ pin: NEW_PIN });
    await approval.submit();
    expect(await approval.outcome()).toBe('approved');
    const bob = await new SigninClient(second.origin).createSignin({ upn: 'bob@demo.test', app: 'demo' });
    const bobApproval = await firefox.nextApproval();
    await bobApproval.approve(bob.number, NEW_PIN);
    expect(await bobApproval.outcome()).toBe('approved');

    // A change needs every relay: with one gone, nothing changes and the popup names it.
    await second.stop();
    const refused = await popup.changePin(NEW_PIN, '975313');
    expect(refused).toMatchObject({ ok: false, code: 'relays_unreachable' });
    expect(refused.text).toContain(second.origin);
    expect(((await readDatabase(popup.page)).accounts ?? []).map((account) => account.pinWrap)).toEqual(
      after.map((account) => account.pinWrap),
    );
  }, 90_000);
});

describe('an account paired under revision 2, in a Firefox profile, upgrades at its next approval', () => {
  const upn = 'alice@demo.test';
  let relay: RunningRelay;
  let profileDir: string;
  let firefox: FirefoxAuthenticator | undefined;

  beforeAll(async () => {
    relay = await startRelay({ demo: true });
    profileDir = FirefoxAuthenticator.newProfile();
  });

  afterAll(async () => {
    try {
      await firefox?.close();
    } finally {
      await relay?.stop();
      if (profileDir) FirefoxAuthenticator.removeProfile(profileDir);
    }
  });

  it('says "Approve once to finish the security upgrade", then the approval rewraps under the relay and the old lock goes', async () => {
    // Revision 2's records, written into this profile by one of the extension's pages.
    const installing = await FirefoxAuthenticator.launch({ profileDir });
    let deviceId: string;
    try {
      const page = await installing.openExtensionPage('popup.html');
      const connectPublicKey = await page.evaluate(makeConnectKeyInPage);
      const records = await revision2Records(relay, { upn, pin: PIN, connectPublicKey, deviceName: DEVICE_NAME });
      deviceId = records.deviceId;
      await page.evaluate(putRevision2RecordsInPage, { account: records.account, lock: records.lock });
    } finally {
      await installing.close();
    }

    // As after a browser restart with the new extension: it starts and connects the account.
    firefox = await FirefoxAuthenticator.launch({ profileDir });
    const popup = await firefox.openPopup();
    await popup.waitForAccount(upn, 'data-connection=connected');
    expect(await popup.accountPart(upn, 'needs-upgrade')).toBe('Approve once to finish the security upgrade.');
    expect((await readDatabase(popup.page)).settings?.map((record) => record.key)).toContain('lock');

    const recorder = recordPinSteps(relay.relay);
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn, app: 'demo' });
    const approval = await firefox.nextApproval();
    expect(await approval.has('upgrade-note')).toBe(true);
    await approval.approve(signin.number, PIN);
    expect(await approval.outcome()).toBe('approved');
    recorder.stop();
    // The relay saw the unlock (and made this device's OPRF key at it) and its proof, then the new
    // wrap's confirmation (unlock, unwrap, proof) before the old copy went, then the decision.
    expect(recorder.steps().map((step) => step.step)).toEqual(['unlock', 'unlock_proof', 'unlock', 'unlock_proof', 'decision']);
    const keys = await relay.relay.store.db.selectFrom('device_pin_keys').select('device_id').where('device_id', '=', deviceId).execute();
    expect(keys).toHaveLength(1);

    // The old wrap, the lock and its check value are gone; the new wrap is there.
    const dump = await readDatabase(popup.page);
    expect(dump.settings?.map((record) => record.key)).not.toContain('lock');
    expect(dump.accounts).toHaveLength(1);
    const upgraded = dump.accounts![0]!;
    expect(upgraded).toMatchObject({ deviceId, status: 'active' });
    expect(upgraded.wrappedKey).toBeUndefined();
    expect(Object.keys((upgraded.pinWrap as object | undefined) ?? {}).sort()).toEqual(['ciphertext', 'iv']);
    await popup.page.waitForFunction(
      (css) => document.querySelector(css) === null,
      { timeout: 15_000 },
      EXTENSION_UI.popup.accountPart(upn, 'needs-upgrade'),
    );

    // The next approval unlocks through the relay alone.
    const next = await signins.createSignin({ upn, app: 'demo' });
    const again = await firefox.nextApproval();
    await again.approve(next.number, PIN);
    expect(await again.outcome()).toBe('approved');
  }, 90_000);
});
