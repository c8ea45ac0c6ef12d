import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { vi } from 'vitest';

/**
 * Debian's Firefox ESR with the built Firefox extension (.output/firefox-mv2, `npm run
 * build:firefox`) installed as a temporary add-on over WebDriver BiDi, and small page objects
 * that drive its popup and approval window the way a person would (see docs/environment.md).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIREFOX = process.env.COUNTERSIGN_FIREFOX ?? '/usr/bin/firefox-esr';
export const PIN = '246810';
const WAIT_MS = 15_000;

export function firefoxExtensionPath(): string {
  const built = process.env.COUNTERSIGN_FIREFOX_EXTENSION ?? path.join(ROOT, '.output', 'firefox-mv2');
  if (!existsSync(path.join(built, 'manifest.json'))) throw new Error(`No Firefox build at ${built}: run \`npm run build:firefox\` first`);
  return built;
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

  /** Launches Firefox and installs the extension; close() it in a finally. */
  static async launch(): Promise<FirefoxAuthenticator> {
    const extension = firefoxExtensionPath();
    const manifest = JSON.parse(readFileSync(path.join(extension, 'manifest.json'), 'utf8')) as {
      browser_specific_settings: { gecko: { id: string } };
    };
    const uuid = randomUUID();
    // Firefox's profile goes to the system temp folder unless told; keep it in the project.
    const tmp = path.join(ROOT, '.tmp', 'firefox');
    mkdirSync(tmp, { recursive: true });
    process.env.TMPDIR = tmp;
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      args: ['-remote-allow-system-access'],
      extraPrefsFirefox: {
        'extensions.webextensions.uuids': JSON.stringify({ [manifest.browser_specific_settings.gecko.id]: uuid }),
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
    await page.waitForSelector('[data-testid=popup]', { timeout: WAIT_MS });
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
          if (await candidate.$('[data-testid=approval][data-state=pending]').catch(() => null)) return candidate;
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
  constructor(readonly page: Page) {}

  /**
   * Pastes a pairing link and adds the account; throws with the popup's message if it fails. With
   * no account yet the form asks to choose the PIN (typed twice): nothing stored could check one.
   */
  async pair(link: string, pin: string): Promise<void> {
    if (!(await this.page.$('[data-testid=add-account-form]'))) await this.page.locator('[data-testid=add-account]').click();
    await this.page.locator('[data-testid=pairing-link-input]').fill(link);
    if (await this.page.$('[data-testid=pair-pin]')) await this.page.locator('[data-testid=pair-pin]').fill(pin);
    if (await this.page.$('[data-testid=pair-pin-again]')) await this.page.locator('[data-testid=pair-pin-again]').fill(pin);
    await this.page.locator('[data-testid=pair-submit]').click();
    const message = await this.page.waitForSelector('[data-testid=pair-message]', { timeout: WAIT_MS });
    const ok = await message!.evaluate((element) => (element as HTMLElement).dataset.ok);
    if (ok !== 'true') throw new Error(`pairing failed: ${await message!.evaluate((element) => element.textContent)}`);
  }

  /** Waits for the account row of `upn` and returns its text. */
  async accountText(upn: string): Promise<string> {
    const row = await this.page.waitForSelector(`[data-testid=account][data-upn="${upn}"]`, { timeout: WAIT_MS });
    return row!.evaluate((element) => element.textContent ?? '');
  }
}

export class FirefoxApprovalWindow {
  constructor(readonly page: Page) {}

  async approve(number: string, pin: string): Promise<void> {
    if (await this.page.$('[data-testid=number-input]')) await this.page.locator('[data-testid=number-input]').fill(number);
    else await this.page.locator(`[aria-label="Number ${number}"]`).click();
    if (await this.page.$('[data-testid=pin-input]')) await this.page.locator('[data-testid=pin-input]').fill(pin);
    await this.page.locator('[data-testid=approve]:not([disabled])').click();
  }

  async deny(): Promise<void> {
    await this.page.locator('[data-testid=deny]:not([disabled])').click();
  }

  /** Waits for the outcome screen and returns its outcome. */
  async outcome(): Promise<string | undefined> {
    const view = await this.page.waitForSelector('[data-testid=approval][data-state=outcome] [data-testid=outcome]', { timeout: WAIT_MS });
    return view!.evaluate((element) => (element as HTMLElement).dataset.outcome);
  }
}
