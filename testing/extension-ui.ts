/**
 * The extension's popup and approval window as a person uses them, written once for every browser
 * the tests drive: the selectors, and the steps (pair, change the PIN, fill and answer a request)
 * over a small driver that Playwright (Chromium, testing/playwright-fixture.ts) and puppeteer-core
 * (Firefox over WebDriver BiDi, tests/firefox/) each implement in a few lines.
 */

const testId = (id: string) => `[data-testid=${id}]`;

export const EXTENSION_UI = {
  popup: {
    root: testId('popup'),
    addAccount: testId('add-account'),
    addAccountForm: testId('add-account-form'),
    pairingLinkInput: testId('pairing-link-input'),
    pairPin: testId('pair-pin'),
    pairPinAgain: testId('pair-pin-again'),
    pairSubmit: testId('pair-submit'),
    pairMessage: testId('pair-message'),
    /** The account row of `upn`. */
    account: (upn: string) => `[data-testid=account][data-upn="${upn}"]`,
    /** The part `id` (e.g. `needs-upgrade`) inside the account row of `upn`. */
    accountPart: (upn: string, id: string) => `[data-testid=account][data-upn="${upn}"] ${testId(id)}`,
    /** The recent-activity lines for relay notices of `kind` (e.g. `pin_failure`), or all of them. */
    notices: (kind?: string) => (kind ? `[data-testid=activity-notice][data-kind="${kind}"]` : testId('activity-notice')),
    settings: testId('settings'),
    settingsToggle: `${testId('settings')} summary`,
    oldPin: testId('old-pin'),
    changedPin: testId('changed-pin'),
    changePin: testId('change-pin'),
    changePinMessage: testId('change-pin-message'),
    enterCode: testId('enter-code'),
    codeForm: testId('code-form'),
    codeInput: testId('code-input'),
    codeAccount: testId('code-account'),
    codeSubmit: testId('code-submit'),
    codeMessage: testId('code-message'),
  },
  approval: {
    root: testId('approval'),
    pending: '[data-testid=approval][data-state=pending]',
    numberInput: testId('number-input'),
    /** A number's button in choose mode. */
    choice: (number: string) => `[aria-label="Number ${number}"]`,
    choices: testId('choice'),
    pinInput: testId('pin-input'),
    rememberPin: testId('remember-pin'),
    /** A sign-in by code: the code shown instead of a number to give. */
    requestCode: testId('request-code'),
    error: testId('error'),
    /** The answer buttons: `approve`, `deny`, `report`. */
    answer: (decision: 'approve' | 'deny' | 'report') => testId(decision),
    reportConfirm: testId('report-confirm'),
    outcome: '[data-testid=approval][data-state=outcome] [data-testid=outcome]',
  },
} as const;

/** What the steps need from a browser automation, on one page; selectors are CSS. */
export interface ExtensionPageDriver {
  /** How many elements match now (no waiting). */
  count(selector: string): Promise<number>;
  /** Waits until one matches (`timeoutMs`, or the driver's own default). */
  waitFor(selector: string, timeoutMs?: number): Promise<void>;
  /** Waits for the element, then types `value` into it (replacing what is there). */
  fill(selector: string, value: string): Promise<void>;
  /** Waits for the element, then clicks it. */
  click(selector: string): Promise<void>;
  /** The attribute of the first match (null when absent). */
  attribute(selector: string, name: string): Promise<string | null>;
  text(selector: string): Promise<string>;
  /** Removes every match from the page (an old message must not be read as a new one's). */
  remove(selector: string): Promise<void>;
}

/** What a popup form said after a step: `ok`, its failure `code` when not ok, and the words. */
export interface PopupMessage {
  ok: boolean;
  code: string | null;
  text: string;
}

const popup = EXTENSION_UI.popup;
const approval = EXTENSION_UI.approval;

/** Pastes a pairing link and adds the account; throws with the popup's words if it fails. */
export async function pairInPopup(ui: ExtensionPageDriver, link: string, pin: string | null): Promise<void> {
  await ui.waitFor(popup.root);
  if (!(await ui.count(popup.addAccountForm))) await ui.click(popup.addAccount);
  await ui.fill(popup.pairingLinkInput, link);
  await submitPairing(ui, pin);
}

/** With no account yet the form asks to choose the PIN (typed twice), later for it once; null types none. */
export async function submitPairing(ui: ExtensionPageDriver, pin: string | null): Promise<void> {
  if (pin !== null && (await ui.count(popup.pairPin))) await ui.fill(popup.pairPin, pin);
  if (pin !== null && (await ui.count(popup.pairPinAgain))) await ui.fill(popup.pairPinAgain, pin);
  await ui.click(popup.pairSubmit);
  await ui.waitFor(popup.pairMessage, 15_000);
  if ((await ui.attribute(popup.pairMessage, 'data-ok')) !== 'true') throw new Error(`pairing failed: ${await ui.text(popup.pairMessage)}`);
}

/** Changes the PIN in Settings (a `rekey` for every account, section 4a); returns what the popup then says. */
export async function changePinInPopup(ui: ExtensionPageDriver, oldPin: string, newPin: string): Promise<PopupMessage> {
  if ((await ui.attribute(popup.settings, 'open')) === null) await ui.click(popup.settingsToggle);
  await ui.remove(popup.changePinMessage);
  await ui.fill(popup.oldPin, oldPin);
  await ui.fill(popup.changedPin, newPin);
  await ui.click(popup.changePin);
  await ui.waitFor(popup.changePinMessage, 30_000);
  return {
    ok: (await ui.attribute(popup.changePinMessage, 'role')) === 'status',
    code: await ui.attribute(popup.changePinMessage, 'data-code'),
    text: await ui.text(popup.changePinMessage),
  };
}

/** Gives the number (typed, or picked in choose mode; a sign-in by code has none) and the PIN when asked for. */
export async function fillApproval(ui: ExtensionPageDriver, options: { number?: string; pin?: string | null }): Promise<void> {
  if (options.number !== undefined && !(await ui.count(approval.requestCode))) {
    if (await ui.count(approval.numberInput)) await ui.fill(approval.numberInput, options.number);
    else await ui.click(approval.choice(options.number));
  }
  if (options.pin != null && (await ui.count(approval.pinInput))) await ui.fill(approval.pinInput, options.pin);
}

/** Presses an answer once it can be pressed; "It wasn't me" asks once before it reports. */
export async function answerApproval(ui: ExtensionPageDriver, decision: 'approve' | 'deny' | 'report'): Promise<void> {
  await ui.click(`${approval.answer(decision)}:not([disabled])`);
  if (decision === 'report') await ui.click(approval.reportConfirm);
}

/** Waits for the outcome screen and returns its outcome (`approved`, `denied`, …). */
export async function readOutcome(ui: ExtensionPageDriver): Promise<string | null> {
  await ui.waitFor(approval.outcome);
  return ui.attribute(approval.outcome, 'data-outcome');
}
