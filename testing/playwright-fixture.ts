import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { HistoryOutcome } from '../extension/lib/db.ts';
import type { Decision } from '../protocol/statements.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Locator, Page, Worker } from '@playwright/test';
import { AdminClient } from './admin-client.ts';
import {
  EXTENSION_UI,
  answerApproval,
  changePinInPopup,
  fillApproval,
  pairInPopup,
  readOutcome,
  submitPairing,
  type ExtensionPageDriver,
  type PopupMessage,
} from './extension-ui.ts';
import { startRelay, type RunningRelay, type StartRelayOptions } from './start-relay.ts';
import { registerOidcApp, type OidcApp, type OidcAppOptions } from './oidc-app.ts';
import { runningPlaywright } from './running-playwright.ts';
import { startRegisteredSampleApp, type RunningSampleApp } from './sample-app.ts';
import { VirtualDevice } from './virtual-device.ts';

// The project's own @playwright/test (a peer dependency), never a second copy: see running-playwright.ts.
const { test: base, chromium, expect } = runningPlaywright();

/**
 * The QA kit's Playwright fixture (`countersign/testing/fixture`): real Chromium with the built
 * extension (`npx wxt build` → .output/chrome-mv3) and an `authenticator` that drives it the way
 * a person would, through the popup and the approval window.
 *
 * @example
 * test('Alice signs in', async ({ page, relay, authenticator }) => {
 *   await authenticator.setPin('246810');
 *   await authenticator.pairUser(relay, 'alice@demo.test');
 *   await page.goto(`${relay.origin}/signin?app=demo`);
 *   ...
 *   await authenticator.approveNext({ page });
 * });
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_PIN = '246810';

/** Env COUNTERSIGN_CHROMIUM, then Playwright's own Chromium if installed, then /usr/bin/chromium. */
export function findChromium(): string {
  const fromEnv = process.env.COUNTERSIGN_CHROMIUM;
  if (fromEnv) return fromEnv;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    /* Playwright's browsers are not installed */
  }
  return '/usr/bin/chromium';
}

export function extensionPath(): string {
  const built = process.env.COUNTERSIGN_EXTENSION ?? path.join(ROOT, '.output', 'chrome-mv3');
  if (!existsSync(path.join(built, 'manifest.json'))) throw new Error(`No built extension at ${built}: run \`npx wxt build\` first`);
  return built;
}

/** Profiles and Chromium's temporary files stay inside the project (.tmp/), not the system temp. */
function projectTmp(): string {
  const dir = path.join(ROOT, '.tmp', 'playwright');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface RelayHandle {
  origin: string;
  adminToken: string;
}

export interface LaunchedAuthenticator {
  context: BrowserContext;
  authenticator: Authenticator;
  /** The browser profile folder (removed by close()). */
  profileDir: string;
  close(): Promise<void>;
}

/**
 * Launches Chromium with the extension and waits for its service worker: in a fresh profile, or
 * in `profileDir` (a folder an earlier, closed launch used, or a `copyProfile()`).
 */
export async function launchAuthenticator(options: { headless?: boolean; profileDir?: string } = {}): Promise<LaunchedAuthenticator> {
  const tmp = projectTmp();
  process.env.TMPDIR = tmp;
  const profile = options.profileDir ?? mkdtempSync(path.join(tmp, 'profile-'));
  const extension = extensionPath();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium(),
    headless: options.headless ?? true,
    args: [
      `--disable-extensions-except=${extension}`,
      `--load-extension=${extension}`,
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--enable-unsafe-extension-debugging',
    ],
    env: { ...process.env, TMPDIR: tmp },
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const authenticator = new Authenticator(context, new URL(worker.url()).host, profile);
  profiles.set(context, profile);
  return {
    context,
    authenticator,
    profileDir: profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A copy of a browser profile folder, as someone who copied a person's browser data has it
 * (Chromium's lock files left out, so the copy starts as a browser of its own). Copy a profile
 * whose browser is closed: a running one may not have written everything yet.
 */
export function copyProfile(from: string): string {
  const copy = mkdtempSync(path.join(projectTmp(), 'profile-copy-'));
  cpSync(from, copy, { recursive: true, filter: (source) => !/^Singleton(Lock|Socket|Cookie)$/.test(path.basename(source)) });
  return copy;
}

/** Which profile folder each launched context uses (the fixture's `authenticator` reads it). */
const profiles = new WeakMap<BrowserContext, string>();

export type { Decision } from '../protocol/statements.ts';
/** What the approval window ends on: the extension's own history outcomes. */
export type Outcome = HistoryOutcome;

/** The shared extension steps (extension-ui.ts) over a Playwright page. */
export function playwrightDriver(page: Page): ExtensionPageDriver {
  const first = (selector: string) => page.locator(selector).first();
  return {
    count: (selector) => page.locator(selector).count(),
    // Playwright's own expect timeout (playwright.config.ts) unless the step names one.
    waitFor: (selector, timeoutMs = 10_000) => first(selector).waitFor({ state: 'visible', timeout: timeoutMs }),
    fill: (selector, value) => first(selector).fill(value),
    click: (selector) => first(selector).click(),
    attribute: (selector, name) => first(selector).getAttribute(name),
    text: async (selector) => (await first(selector).textContent()) ?? '',
    remove: (selector) => page.locator(selector).evaluateAll((nodes) => nodes.forEach((node) => node.remove())),
  };
}

const ui = EXTENSION_UI;

/** The approval window (approve.html) as a page object. */
export class ApprovalWindow {
  readonly root: Locator;
  private readonly driver: ExtensionPageDriver;
  constructor(readonly page: Page) {
    this.root = page.locator(ui.approval.root);
    this.driver = playwrightDriver(page);
  }

  get numberInput(): Locator {
    return this.page.locator(ui.approval.numberInput);
  }
  get pinInput(): Locator {
    return this.page.locator(ui.approval.pinInput);
  }
  get error(): Locator {
    return this.page.locator(ui.approval.error);
  }
  choice(number: string): Locator {
    return this.page.locator(ui.approval.choice(number));
  }
  /** The numbers offered in choose mode, once the buttons are there (they render after the request). */
  async choices(): Promise<string[]> {
    const buttons = this.page.locator(ui.approval.choices);
    await expect(buttons.first()).toBeVisible();
    return buttons.allTextContents();
  }
  get outcomeView(): Locator {
    return this.page.locator(ui.approval.outcome);
  }
  /** A sign-in by code (section 5): the code typed in the popup, shown as "1234 5678"; there is no number to give. */
  get code(): Locator {
    return this.page.locator(ui.approval.requestCode);
  }

  async waitForPending(): Promise<void> {
    await expect(this.root).toHaveAttribute('data-state', 'pending');
  }

  /** Fills the number (type mode) or picks it (choose mode), and the PIN unless remembered. */
  async fill(options: { number?: string; pin?: string | null; remember?: boolean }): Promise<void> {
    // The fields exist only once the request is shown: reading them earlier finds none.
    await this.waitForPending();
    await fillApproval(this.driver, options);
    if (options.remember !== undefined) await this.page.locator(ui.approval.rememberPin).setChecked(options.remember);
  }

  async decide(decision: Decision, options: { number?: string; pin?: string | null; remember?: boolean } = {}): Promise<void> {
    await this.fill(options);
    await answerApproval(this.driver, decision);
  }

  /** Waits for the outcome screen and returns its outcome. */
  async outcome(): Promise<Outcome> {
    return (await readOutcome(this.driver)) as Outcome;
  }
}

/** The toolbar popup, opened as a tab (popup.html). */
export class Popup {
  private readonly driver: ExtensionPageDriver;
  constructor(readonly page: Page) {
    this.driver = playwrightDriver(page);
  }

  async openAddAccount(): Promise<void> {
    await expect(this.page.locator(ui.popup.root)).toBeVisible();
    if (!(await this.page.locator(ui.popup.addAccountForm).count())) await this.page.locator(ui.popup.addAccount).click();
    await expect(this.page.locator(ui.popup.pairingLinkInput)).toBeVisible();
  }

  /** Pairs with a link; resolves once the popup says whether it worked (throws if not). */
  async pair(link: string, pin: string | null): Promise<void> {
    await pairInPopup(this.driver, link, pin);
  }

  /** With no account yet the form asks to choose the PIN (typed twice); later it asks for it once. */
  async submitPairing(pin: string | null): Promise<void> {
    await submitPairing(this.driver, pin);
  }

  account(upn: string): Locator {
    return this.page.locator(ui.popup.account(upn));
  }

  /**
   * "Enter a code" (section 5): types `code` (e.g. "1234 5678"), picks the account by upn when
   * given, and returns what the popup says: `ok` (the approval window opened), the failure `code`, the words.
   */
  async enterCode(code: string, options: { account?: string } = {}): Promise<CodeEntry> {
    if (!(await this.page.locator(ui.popup.codeForm).count())) await this.page.locator(ui.popup.enterCode).click();
    const message = this.page.locator(ui.popup.codeMessage);
    // A message from an earlier code must not be read as this one's.
    if (await message.count()) await message.evaluate((node) => node.remove());
    await this.page.locator(ui.popup.codeInput).fill(code);
    if (options.account !== undefined) {
      const select = this.page.locator(ui.popup.codeAccount);
      const value = await select.locator('option', { hasText: options.account }).getAttribute('value');
      await select.selectOption(value ?? '');
    }
    await this.page.locator(ui.popup.codeSubmit).click();
    await expect(message).toBeVisible({ timeout: 30_000 });
    return {
      ok: (await message.getAttribute('data-ok')) === 'true',
      code: await message.getAttribute('data-code'),
      text: (await message.textContent()) ?? '',
    };
  }

  /** The recent-activity lines for relay notices of `kind` (e.g. `pin_failure`), newest first. */
  notices(kind?: string): Locator {
    return this.page.locator(ui.popup.notices(kind));
  }

  /**
   * Changes the PIN in Settings (a `rekey` for every account, section 4a) and returns what the
   * popup then says: `ok`, its `code` when not ok, and the words.
   */
  async changePin(oldPin: string, newPin: string): Promise<PopupMessage> {
    return changePinInPopup(this.driver, oldPin, newPin);
  }
}

/** Drives the extension like its user: PIN, pairing, and answering sign-in requests. */
export class Authenticator {
  pin: string | null = null;

  constructor(
    readonly context: BrowserContext,
    readonly extensionId: string,
    /** The browser profile folder, when known (contexts made by launchAuthenticator). */
    readonly profileDir: string | null = null,
  ) {}

  url(pathname: string): string {
    return `chrome-extension://${this.extensionId}/${pathname}`;
  }

  async serviceWorker(): Promise<Worker> {
    return (
      this.context.serviceWorkers().find((w) => w.url().startsWith(this.url(''))) ?? (await this.context.waitForEvent('serviceworker'))
    );
  }

  async openPopup(): Promise<Popup> {
    const page = await this.context.newPage();
    await page.goto(this.url('popup.html'));
    await expect(page.locator(ui.popup.root)).toBeVisible();
    return new Popup(page);
  }

  /**
   * The PIN this authenticator will use. Nothing is stored (revision 3: no check value exists):
   * the first pairing chooses it, later pairings and approvals are checked with the relay.
   */
  async setPin(pin = DEFAULT_PIN): Promise<void> {
    this.pin = pin;
  }

  async pair(link: string): Promise<void> {
    if (this.pin === null) await this.setPin();
    const popup = await this.openPopup();
    await popup.pair(link, this.pin);
    await popup.page.close();
  }

  /** Creates a pairing for `upn` with the admin API and redeems it in the extension. */
  async pairUser(relay: RelayHandle, upn: string): Promise<void> {
    const offer = await new AdminClient(relay.origin, relay.adminToken).createPairing(upn);
    await this.pair(offer.link);
  }

  /**
   * Types a sign-in code into the popup ("Enter a code", section 5) and returns what the popup
   * said; when `ok`, the request's approval window is open (see nextApproval / approveCode).
   */
  async enterCode(code: string, options: { account?: string } = {}): Promise<CodeEntry> {
    const popup = await this.openPopup();
    try {
      return await popup.enterCode(code, options);
    } finally {
      await popup.page.close();
    }
  }

  /** Enters `code` and approves the request it opens with the PIN (there is no number to type). */
  async approveCode(code: string, options: { pin?: string; account?: string } = {}): Promise<ApprovalWindow> {
    const entry = await this.enterCode(code, options.account !== undefined ? { account: options.account } : {});
    if (!entry.ok) throw new Error(`the code opened nothing: ${entry.text}`);
    const window = await this.nextApproval();
    await expect(window.code).toHaveText(`${code.replace(/\D/g, '').slice(0, 4)} ${code.replace(/\D/g, '').slice(4)}`);
    await window.decide('approve', { pin: options.pin ?? this.pin });
    return window;
  }

  /** The approval window showing a pending request (opened by the extension when one arrives). */
  async nextApproval(options: { timeout?: number } = {}): Promise<ApprovalWindow> {
    let found: Page | undefined;
    await expect
      .poll(
        async () => {
          for (const page of this.context.pages()) {
            if (!page.url().startsWith(this.url('approve.html'))) continue;
            const state = await page
              .locator(ui.approval.root)
              .getAttribute('data-state', { timeout: 1_000 })
              .catch(() => null);
            if (state === 'pending') {
              found = page;
              return true;
            }
          }
          return false;
        },
        { timeout: options.timeout ?? 15_000, message: 'no approval window with a pending request' },
      )
      .toBe(true);
    return new ApprovalWindow(found!);
  }

  private async answerNext(decision: Decision, options: AnswerOptions): Promise<ApprovalWindow> {
    let number = options.number;
    if (decision === 'approve' && number === undefined) {
      if (!options.page) throw new Error('approveNext needs {number} or the sign-in {page}');
      const shown = options.page.getByTestId('match-number');
      await expect(shown).toHaveText(/^[0-9]+$/);
      number = (await shown.textContent())?.trim() ?? '';
    }
    const window = await this.nextApproval(options.timeout !== undefined ? { timeout: options.timeout } : {});
    // Only an approve takes the PIN: deny and "It wasn't me" are answered without it, as a person would.
    const pin = decision === 'approve' ? (options.pin ?? this.pin) : null;
    await window.decide(decision, { ...(number !== undefined ? { number } : {}), pin });
    return window;
  }

  /** Approves the next request with `number`, or the number the sign-in `page` shows. */
  approveNext(options: AnswerOptions = {}): Promise<ApprovalWindow> {
    return this.answerNext('approve', options);
  }

  /** Denies the next request (no PIN needed). */
  denyNext(options: Omit<AnswerOptions, 'number' | 'page' | 'pin'> = {}): Promise<ApprovalWindow> {
    return this.answerNext('deny', options);
  }

  /** "It wasn't me" (no PIN needed). */
  reportNext(options: Omit<AnswerOptions, 'number' | 'page' | 'pin'> = {}): Promise<ApprovalWindow> {
    return this.answerNext('report', options);
  }

  /**
   * Pairs by "Use the pairing link on this page": clicks the toolbar button on `page` (CDP
   * Extensions.triggerAction, which also gives the extension its activeTab grant), then drives
   * the real action popup over CDP: read the page's link, PIN, add. Playwright does not expose
   * action popups.
   */
  async pairFromPage(page: Page): Promise<void> {
    if (this.pin === null) await this.setPin();
    const cdp = await browserCdp(this.context);
    try {
      const tabs = await cdp.send('Target.getTargets', { filter: [{ type: 'tab' }] });
      const tab = tabs.targetInfos.find((info) => info.url === page.url());
      if (!tab) throw new Error('tab not found');
      await cdp.send('Extensions.triggerAction' as never, { id: this.extensionId, targetId: tab.targetId } as never);
      let popupId: string | undefined;
      await expect
        .poll(async () => {
          const all = await cdp.send('Target.getTargets');
          popupId = all.targetInfos.find((info) => info.url === this.url('popup.html'))?.targetId;
          return popupId !== undefined;
        })
        .toBe(true);
      const popup = await PopupOverCdp.attach(cdp, popupId!);
      await popup.waitFor(`document.querySelector('[data-testid=popup]')`);
      await popup.evaluate(`document.querySelector('[data-testid=add-account]')?.click()`);
      await popup.waitFor(`document.querySelector('[data-testid=read-page-link]')`);
      await popup.evaluate(`document.querySelector('[data-testid=read-page-link]').click()`);
      await popup.waitFor(`document.querySelector('[data-testid=pairing-link-input]').value.includes('/pair#')`);
      await popup.evaluate(`(() => {
        for (const id of ['pair-pin', 'pair-pin-again']) {
          const pin = document.querySelector('[data-testid=' + id + ']');
          if (pin) { pin.value = ${JSON.stringify(this.pin)}; pin.dispatchEvent(new Event('input', { bubbles: true })); }
        }
      })()`);
      await popup.waitFor(`!document.querySelector('[data-testid=pair-submit]').disabled`);
      await popup.evaluate(`document.querySelector('[data-testid=pair-submit]').click()`);
      await popup.waitFor(`document.querySelector('[data-testid=pair-message]')`);
      const ok = await popup.evaluate(`document.querySelector('[data-testid=pair-message]').dataset.ok`);
      if (ok !== 'true')
        throw new Error(
          `pairing failed: ${String(await popup.evaluate(`document.querySelector('[data-testid=pair-message]').textContent`))}`,
        );
    } finally {
      await cdp.detach();
    }
  }

  /** @deprecated The extension reads the pairing link from the page now; this is `pairFromPage`. */
  pairByQrScan(page: Page): Promise<void> {
    return this.pairFromPage(page);
  }

  /**
   * Every record in the extension's IndexedDB database, read inside its service worker, store by
   * store. CryptoKeys cannot leave the worker: each is replaced by what WebCrypto says of it
   * (`{cryptoKey: {type, extractable, algorithm, usages}}`) and, when `sign` (base64url bytes)
   * is given and the key can sign, its ECDSA P-256/SHA-256 signature over them (base64url r‖s).
   */
  async readDatabase(options: { sign?: string } = {}): Promise<Record<string, StoredValue[]>> {
    const worker = await this.serviceWorker();
    return worker.evaluate(async ({ sign }) => {
      const toBase64Url = (bytes: Uint8Array) =>
        btoa(String.fromCharCode(...bytes))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const fromBase64Url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const describe = async (value: unknown): Promise<unknown> => {
        if (value instanceof CryptoKey) {
          const { type, extractable, algorithm, usages } = value;
          const signature =
            sign !== undefined && value.usages.includes('sign')
              ? toBase64Url(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, value, fromBase64Url(sign))))
              : undefined;
          return { cryptoKey: { type, extractable, algorithm: { ...algorithm }, usages: [...usages], signature } };
        }
        if (Array.isArray(value)) return Promise.all(value.map(describe));
        if (value instanceof ArrayBuffer || ArrayBuffer.isView(value))
          return { bytes: toBase64Url(new Uint8Array(value instanceof ArrayBuffer ? value : value.buffer)) };
        if (typeof value === 'object' && value !== null) {
          const entries = await Promise.all(Object.entries(value).map(async ([key, inner]) => [key, await describe(inner)] as const));
          return Object.fromEntries(entries);
        }
        return value;
      };
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('countersign');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
      });
      try {
        const stores: Record<string, unknown[]> = {};
        for (const name of Array.from(db.objectStoreNames)) {
          const values = await new Promise<unknown[]>((resolve, reject) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
          });
          stores[name] = await Promise.all(values.map(describe));
        }
        return stores;
      } finally {
        db.close();
      }
    }, options) as Promise<Record<string, StoredValue[]>>;
  }

  /**
   * Records every WebSocket frame the extension's service worker sends, over the DevTools
   * protocol (Network.webSocketFrameSent), without touching the extension. Frames are parsed JSON.
   */
  async recordSentFrames(): Promise<FrameRecorder> {
    const worker = await this.serviceWorker();
    const cdp = await browserCdp(this.context);
    const targets = await cdp.send('Target.getTargets');
    const target = targets.targetInfos.find((info) => info.type === 'service_worker' && info.url === worker.url());
    if (!target) throw new Error('service worker target not found');
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    const frames: Array<Record<string, unknown>> = [];
    let enabled: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (enabled = resolve));
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      if (event.sessionId !== sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; method?: string; params?: { response?: { payloadData?: string } } };
      if (message.id === 1) enabled();
      if (message.method !== 'Network.webSocketFrameSent') return;
      try {
        frames.push(JSON.parse(message.params?.response?.payloadData ?? '') as Record<string, unknown>);
      } catch {
        frames.push({ unparsed: message.params?.response?.payloadData ?? '' });
      }
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Network.enable', params: {} }) });
    await ready;
    return {
      frames: () => [...frames],
      stop: () => cdp.detach(),
    };
  }

  /** Stops the extension's service worker the way Chrome does when idle (docs/environment.md). */
  async stopServiceWorker(): Promise<void> {
    const page = this.context.pages()[0] ?? (await this.context.newPage());
    const cdp = await this.context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
  }
}

/** A browser-level DevTools session (a persistent context hides its Browser; the session needs it). */
async function browserCdp(context: BrowserContext): Promise<CDPSession> {
  const browser = (context as unknown as { _browser?: Browser })._browser;
  if (!browser) throw new Error('no browser handle for CDP');
  return browser.newBrowserCDPSession();
}

/** What the popup said after "Enter a code": `ok` when the request's approval window opened, else the failure's `code`. */
export type CodeEntry = PopupMessage;

/**
 * The sign-in code a sign-in page shows after "Sign in with a code instead" (two groups of 4),
 * as the 8 digits to type.
 */
export async function readSigninCode(page: Page): Promise<string> {
  const shown = page.getByTestId('signin-code');
  await expect(shown).toHaveText(/^[0-9]{4} [0-9]{4}$/);
  return (await shown.textContent())!.replace(/\s/g, '');
}

/** A value read from the extension's database: JSON, with CryptoKeys and bytes described (see readDatabase). */
export type StoredValue = Record<string, unknown>;

export interface FrameRecorder {
  /** The frames sent so far, oldest first. */
  frames(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** A page Playwright does not expose, driven with Runtime.evaluate over a browser CDP session. */
class PopupOverCdp {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(
    private readonly cdp: CDPSession,
    private readonly sessionId: string,
  ) {
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      if (event.sessionId !== this.sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; result?: { result?: { value?: unknown } } };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result?.result?.value);
    });
  }

  static async attach(cdp: CDPSession, targetId: string): Promise<PopupOverCdp> {
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
    return new PopupOverCdp(cdp, sessionId);
  }

  evaluate(expression: string): Promise<unknown> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve) => this.waiting.set(id, resolve));
    const message = JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } });
    void this.cdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message });
    return answer;
  }

  async waitFor(expression: string, timeout = 15_000): Promise<void> {
    await expect.poll(async () => Boolean(await this.evaluate(`Boolean(${expression})`)), { timeout }).toBe(true);
  }
}

/** A DevTools virtual authenticator in one tab (biometric unlock tests). */
export interface VirtualAuthenticator {
  readonly authenticatorId: string;
  /** The credentials it holds (the extension's unlock credential once set up). */
  credentials(): Promise<Array<{ credentialId: string; rpId?: string }>>;
  remove(): Promise<void>;
}

/**
 * Adds a virtual platform authenticator with user verification and PRF (like Windows Hello or
 * Touch ID) to `page` over CDP. It belongs to that tab only (it survives reloads and navigations
 * there), and must be added before the page calls `navigator.credentials`, or the call waits
 * forever. A credential copied to another tab loses its PRF secret: set up and approve in one tab.
 */
export async function addVirtualAuthenticator(
  page: Page,
  options: { isUserVerified?: boolean; hasPrf?: boolean } = {},
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      hasPrf: options.hasPrf ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    authenticatorId,
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await cdp.detach();
    },
  };
}

export interface AnswerOptions {
  number?: string;
  /** The sign-in page; its `[data-testid=match-number]` gives the number. */
  page?: Page;
  /** Defaults to the PIN given to setPin(). */
  pin?: string;
  /** How long to wait for the request to reach the extension (default 15 s). */
  timeout?: number;
}

/** Whether the fixture's browser carries the extension (`test.use({ extension: false })` for a plain Chromium). */
interface Options {
  /**
   * `true` (the default): `context` and `page` are Chromium with the built extension, and
   * `authenticator` drives it. `false`: a plain Chromium, for tests that approve with a
   * `virtualDevice` instead (no extension build needed).
   */
  extension: boolean;
}

interface Fixtures {
  /** A demo relay (startRelay({demo: true})) for this test. */
  relay: RunningRelay;
  startRelay(options?: StartRelayOptions): Promise<RunningRelay>;
  authenticator: Authenticator;
  /** Another browser with its own extension (a second device), or one started in `profileDir` (see copyProfile). */
  launchAuthenticator(options?: { profileDir?: string }): Promise<LaunchedAuthenticator>;
  /** Registers an app on this test's relay for an OpenID Connect sign-in (testing/oidc-app.ts). */
  oidcApp(options: OidcAppOptions): Promise<OidcApp>;
  /**
   * Starts the sample app (examples/sample-app, an openid-client app) registered on this test's
   * relay as `name` (default "Expense Reports"); it stops after the test.
   */
  sampleApp(options?: { name?: string }): Promise<RunningSampleApp>;
  /**
   * A headless authenticator (testing/virtual-device.ts) paired with `upn` on this test's relay
   * and connected, ready for `waitForChallenge()` and `approve()`; closed after the test.
   */
  virtualDevice(upn: string): Promise<VirtualDevice>;
}

export const test = base.extend<Fixtures & Options>({
  extension: [true, { option: true }],
  // The default context is the extension's browser, so `page` signs in where the extension lives.
  context: async ({ extension }, use) => {
    if (!extension) {
      const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      await use(await browser.newContext());
      await browser.close();
      return;
    }
    const launched = await launchAuthenticator();
    await use(launched.context);
    await launched.close();
  },
  authenticator: async ({ context, extension }, use) => {
    if (!extension)
      throw new Error('authenticator needs the extension: remove test.use({ extension: false }), or approve with virtualDevice');
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    await use(new Authenticator(context, new URL(worker.url()).host, profiles.get(context) ?? null));
  },
  startRelay: async ({}, use) => {
    const started: RunningRelay[] = [];
    await use(async (options) => {
      const relay = await startRelay({ demo: true, ...options });
      started.push(relay);
      return relay;
    });
    for (const relay of started.reverse()) await relay.stop().catch(() => undefined);
  },
  relay: async ({ startRelay: start }, use) => {
    await use(await start());
  },
  oidcApp: async ({ relay }, use) => {
    await use((options) => registerOidcApp(relay, options));
  },
  sampleApp: async ({ oidcApp }, use) => {
    const started: RunningSampleApp[] = [];
    await use(async (options = {}) => {
      const app = await startRegisteredSampleApp(oidcApp, options);
      started.push(app);
      return app;
    });
    for (const app of started) await app.close();
  },
  virtualDevice: async ({ relay }, use) => {
    const devices: VirtualDevice[] = [];
    await use(async (upn) => {
      const device = await VirtualDevice.open();
      devices.push(device);
      await device.pair((await new AdminClient(relay.origin, relay.adminToken).createPairing(upn)).link);
      await device.connect();
      return device;
    });
    for (const device of devices) await device.close();
  },
  launchAuthenticator: async ({}, use) => {
    const launched: LaunchedAuthenticator[] = [];
    await use(async (options) => {
      const next = await launchAuthenticator(options);
      launched.push(next);
      return next;
    });
    // Newest first: a browser started again in an earlier launch's folder closes before that folder goes.
    for (const item of launched.reverse()) await item.close();
  },
});

export { expect };
