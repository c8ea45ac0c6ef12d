import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { vi } from 'vitest';
import {
  EXTENSION_UI,
  answerApproval,
  changePinInPopup,
  fillApproval,
  pairInPopup,
  readOutcome,
  type ExtensionPageDriver,
  type PopupMessage,
} from '../../testing/extension-ui.ts';

/**
 * Debian's Firefox ESR with the built Firefox extension (.output/firefox-mv2, `npm run
 * build:firefox`) installed as a temporary add-on over WebDriver BiDi, and small page objects
 * that drive its popup and approval window the way a person would (see docs/environment.md): the
 * selectors and steps are the Chromium fixture's (testing/extension-ui.ts), over puppeteer-core.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIREFOX = process.env.COUNTERSIGN_FIREFOX ?? '/usr/bin/firefox-esr';
export const PIN = '246810';
const WAIT_MS = 15_000;
/** Where a kept profile remembers its extension UUID (see launch). */
const UUID_FILE = 'countersign-extension-uuid';

/** Firefox's profiles and temporary files go to the system temp folder unless told; keep them in the project. */
function firefoxTmp(): string {
  const tmp = path.join(ROOT, '.tmp', 'firefox');
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

export function firefoxExtensionPath(): string {
  const built = process.env.COUNTERSIGN_FIREFOX_EXTENSION ?? path.join(ROOT, '.output', 'firefox-mv2');
  if (!existsSync(path.join(built, 'manifest.json'))) throw new Error(`No Firefox build at ${built}: run \`npm run build:firefox\` first`);
  return built;
}

const ui = EXTENSION_UI;

/** The shared extension steps (testing/extension-ui.ts) over a puppeteer-core page. */
function puppeteerDriver(page: Page): ExtensionPageDriver {
  return {
    count: async (selector) => (await page.$$(selector)).length,
    waitFor: async (selector, timeoutMs = WAIT_MS) => {
      await page.waitForSelector(selector, { timeout: timeoutMs });
    },
    fill: (selector, value) => page.locator(selector).fill(value),
    click: (selector) => page.locator(selector).click(),
    attribute: (selector, name) => page.$eval(selector, (element, attribute) => element.getAttribute(attribute), name),
    text: (selector) => page.$eval(selector, (element) => element.textContent ?? ''),
    remove: async (selector) => {
      await page.$$eval(selector, (elements) => elements.forEach((element) => element.remove()));
    },
  };
}

/** puppeteer-core's BiDi frame; `page.goto` never resolves for moz-extension URLs, this does. */
interface BidiFrame {
  browsingContext: { navigate(url: string, wait: 'complete'): Promise<unknown> };
}

export class FirefoxAuthenticator {
  private constructor(
    readonly browser: Browser,
    /** The fixed moz-extension://UUID origin (set by the `extensions.webextensions.uuids` pref). */
    readonly origin: string,
  ) {}

  /**
   * Launches Firefox and installs the extension; close() it in a finally. With `profileDir` (a
   * folder from `newProfile()`, or a `copyProfile()` of one) Firefox runs in that profile and
   * keeps what the extension stored there across launches; without, in a throwaway one.
   */
  static async launch(options: { profileDir?: string } = {}): Promise<FirefoxAuthenticator> {
    const extension = firefoxExtensionPath();
    const manifest = JSON.parse(readFileSync(path.join(extension, 'manifest.json'), 'utf8')) as {
      browser_specific_settings: { gecko: { id: string } };
    };
    // The extension's storage belongs to its moz-extension://UUID origin: a kept profile keeps its UUID.
    const uuidFile = options.profileDir && path.join(options.profileDir, UUID_FILE);
    const uuid = uuidFile && existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() : randomUUID();
    if (uuidFile) writeFileSync(uuidFile, uuid);
    process.env.TMPDIR = firefoxTmp();
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      args: ['-remote-allow-system-access'],
      ...(options.profileDir ? { userDataDir: options.profileDir } : {}),
      extraPrefsFirefox: {
        'extensions.webextensions.uuids': JSON.stringify({ [manifest.browser_specific_settings.gecko.id]: uuid }),
        // The add-on is temporary (gone when Firefox closes): its data stays for the next launch.
        'extensions.webextensions.keepStorageOnUninstall': true,
        'extensions.webextensions.keepUuidOnUninstall': true,
        // Firefox's own alerts (not the system's) stay on screen instead of closing at once.
        'alerts.useSystemBackend': false,
      },
    });
    try {
      await browser.installExtension(extension);
    } catch (error) {
      await browser.close();
      throw error;
    }
    return new FirefoxAuthenticator(browser, `moz-extension://${uuid}`);
  }

  /** An empty profile folder (inside the project) for `launch({profileDir})`; remove it with `removeProfile`. */
  static newProfile(): string {
    return mkdtempSync(path.join(firefoxTmp(), 'profile-'));
  }

  /**
   * A copy of a profile folder, as someone who copied a person's browser data has it (Firefox's
   * lock files left out). Copy a profile whose browser is closed.
   */
  static copyProfile(from: string): string {
    const copy = mkdtempSync(path.join(firefoxTmp(), 'profile-copy-'));
    cpSync(from, copy, { recursive: true, filter: (source) => !/^(\.parentlock|lock|parent\.lock)$/.test(path.basename(source)) });
    return copy;
  }

  static removeProfile(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  url(pathname: string): string {
    return `${this.origin}/${pathname}`;
  }

  /** A new tab on one of the extension's pages, loaded. */
  async openExtensionPage(pathname: string): Promise<Page> {
    const page = await this.browser.newPage();
    await (page.mainFrame() as unknown as BidiFrame).browsingContext.navigate(this.url(pathname), 'complete');
    return page;
  }

  async openPopup(): Promise<FirefoxPopup> {
    const page = await this.openExtensionPage('popup.html');
    await page.waitForSelector(ui.popup.root, { timeout: WAIT_MS });
    return new FirefoxPopup(page);
  }

  /** The approval window the extension opened itself, once it shows a pending request. */
  async nextApproval(): Promise<FirefoxApprovalWindow> {
    // There is no event for "a page of this extension shows a request": poll the browser's pages.
    const page = await vi.waitFor(
      async () => {
        for (const candidate of await this.browser.pages()) {
          // page.url() says about:blank for moz-extension pages: ask the page itself.
          const href = await candidate.evaluate(() => location.href).catch(() => '');
          if (!href.startsWith(this.url('approve.html'))) continue;
          if (await candidate.$(ui.approval.pending).catch(() => null)) return candidate;
        }
        throw new Error('no approval window with a pending request');
      },
      { timeout: WAIT_MS, interval: 100 },
    );
    return new FirefoxApprovalWindow(page);
  }

  /** The ids of the extension's notifications on screen, read from one of its own pages. */
  async notificationIds(page: Page): Promise<string[]> {
    return page.evaluate(async () => {
      const api = (globalThis as unknown as { browser: { notifications: { getAll(): Promise<Record<string, unknown>> } } }).browser;
      return Object.keys(await api.notifications.getAll());
    });
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

export class FirefoxPopup {
  private readonly driver: ExtensionPageDriver;
  constructor(readonly page: Page) {
    this.driver = puppeteerDriver(page);
  }

  /**
   * Pastes a pairing link and adds the account; throws with the popup's message if it fails. With
   * no account yet the form asks to choose the PIN (typed twice): nothing stored could check one.
   */
  async pair(link: string, pin: string): Promise<void> {
    await pairInPopup(this.driver, link, pin);
  }

  /** The account row of `upn`, once it shows `[attribute=value]` (e.g. data-connection=connected). */
  async waitForAccount(upn: string, attribute?: string): Promise<void> {
    await this.page.waitForSelector(`${ui.popup.account(upn)}${attribute ? `[${attribute}]` : ''}`, { timeout: WAIT_MS });
  }

  /** The text of `testid` inside the account row of `upn`, once it is there. */
  async accountPart(upn: string, testid: string): Promise<string> {
    const part = await this.page.waitForSelector(ui.popup.accountPart(upn, testid), { timeout: WAIT_MS });
    return part!.evaluate((element) => element.textContent ?? '');
  }

  /** Whether the account row of `upn` shows `testid` now. */
  async accountHas(upn: string, testid: string): Promise<boolean> {
    return (await this.driver.count(ui.popup.accountPart(upn, testid))) > 0;
  }

  /** The texts of the recent-activity notices of `kind` (e.g. `pin_failure`), once there are at least `atLeast`. */
  async notices(kind: string, atLeast = 1): Promise<string[]> {
    const selector = ui.popup.notices(kind);
    await this.page.waitForFunction(
      (css, count) => document.querySelectorAll(css).length >= count,
      { timeout: WAIT_MS },
      selector,
      atLeast,
    );
    return this.page.$$eval(selector, (elements) => elements.map((element) => element.textContent ?? ''));
  }

  /**
   * Changes the PIN in Settings (a `rekey` for every account, section 4a) and returns what the
   * popup then says: `ok`, its `code` when not ok, and the words.
   */
  async changePin(oldPin: string, newPin: string): Promise<PopupMessage> {
    return changePinInPopup(this.driver, oldPin, newPin);
  }

  /** Waits for the account row of `upn` and returns its text. */
  async accountText(upn: string): Promise<string> {
    const row = await this.page.waitForSelector(ui.popup.account(upn), { timeout: WAIT_MS });
    return row!.evaluate((element) => element.textContent ?? '');
  }
}

export class FirefoxApprovalWindow {
  private readonly driver: ExtensionPageDriver;
  constructor(readonly page: Page) {
    this.driver = puppeteerDriver(page);
  }

  /** Fills the number (type mode) or picks it (choose mode), and the PIN when asked for. */
  async fill(options: { number?: string; pin?: string }): Promise<void> {
    await fillApproval(this.driver, options);
  }

  /** Whether the window shows `testid` now. */
  async has(testid: string): Promise<boolean> {
    return (await this.driver.count(`[data-testid=${testid}]`)) > 0;
  }

  /** Whether the button `testid` is disabled now. */
  async disabled(testid: string): Promise<boolean> {
    return this.page.$eval(`[data-testid=${testid}]`, (element) => (element as HTMLButtonElement).disabled);
  }

  /**
   * Waits for the window's error and returns its code and words; removes it after reading, so the
   * next one read is new.
   */
  async takeError(): Promise<{ code: string | null; text: string }> {
    const error = await this.page.waitForSelector(ui.approval.error, { timeout: WAIT_MS });
    return error!.evaluate((element) => {
      const read = { code: element.getAttribute('data-code'), text: element.textContent ?? '' };
      element.remove();
      return read;
    });
  }

  /** The window's error now, left in place (null when none). */
  async error(): Promise<{ code: string | null; text: string } | null> {
    const error = await this.page.waitForSelector(ui.approval.error, { timeout: WAIT_MS }).catch(() => null);
    return error ? error.evaluate((element) => ({ code: element.getAttribute('data-code'), text: element.textContent ?? '' })) : null;
  }

  /** Presses Approve (with whatever is filled in) once it can be pressed. */
  async submit(): Promise<void> {
    await answerApproval(this.driver, 'approve');
  }

  async approve(number: string, pin: string): Promise<void> {
    await fillApproval(this.driver, { number, pin });
    await answerApproval(this.driver, 'approve');
  }

  async deny(): Promise<void> {
    await answerApproval(this.driver, 'deny');
  }

  /** Waits for the outcome screen and returns its outcome. */
  async outcome(): Promise<string | null> {
    return readOutcome(this.driver);
  }
}
