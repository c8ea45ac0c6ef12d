import { browser } from 'wxt/browser';
import { ID_PATTERN, parse } from '../../../protocol/index.ts';
import { NEW_ACCOUNT_CHANNEL } from '../../lib/new-account-channel.ts';
import { REMEMBER_CHANNEL } from '../../lib/remember-channel.ts';
import { RuntimeRequest } from '../../lib/runtime-messages.ts';
import { DeviceService } from './device-service.ts';
import { approvalWindow } from './approval-window.ts';
import { noticeDeviceId } from './notices.ts';

const WATCHDOG_ALARM = 'countersign-watchdog';

/**
 * MV3 service worker. main() stays synchronous and registers every listener before anything
 * else runs, so events that woke the worker are never missed; the work starts afterwards.
 */
export default defineBackground(() => {
  const service = new DeviceService();
  const wake = () => void service.wake().catch((error: unknown) => console.error('[countersign] wake failed', error));

  browser.runtime.onInstalled.addListener(() => {
    void browser.alarms.create(WATCHDOG_ALARM, { periodInMinutes: 0.5 });
    wake();
  });
  browser.runtime.onStartup.addListener(wake);
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name !== WATCHDOG_ALARM) return;
    wake();
    void service.housekeeping().catch(() => undefined);
  });
  browser.notifications.onClicked.addListener((notificationId) => {
    // An authenticator notice leads to the relay's security info page, where it can be checked.
    const noticeFor = noticeDeviceId(notificationId);
    if (noticeFor) {
      void browser.notifications.clear(notificationId);
      void service.openSecurityInfo(noticeFor).catch(() => undefined);
      return;
    }
    void approvalWindow.open(ID_PATTERN.test(notificationId) ? notificationId : undefined);
  });
  // "Remember my PIN": a page hands over an account's wrapping key (a CryptoKey, which runtime
  // messages cannot carry); only the extension's own pages share this origin's channels.
  new BroadcastChannel(REMEMBER_CHANNEL).onmessage = (event: MessageEvent) =>
    void service.rememberHandover(event.data).catch(() => undefined);
  // Pairing: the popup hands over the new account (its connect key is a CryptoKey) to be stored.
  const newAccounts = new BroadcastChannel(NEW_ACCOUNT_CHANNEL);
  newAccounts.onmessage = (event: MessageEvent) =>
    void service.storeNewAccount(event.data, (message) => newAccounts.postMessage(message)).catch(() => undefined);
  browser.windows.onRemoved.addListener((windowId) => void approvalWindow.closed(windowId).catch(() => undefined));
  // Answered through sendResponse (and `true` to keep the channel open): the one way both
  // Chromium and Firefox accept without the webextension-polyfill in the worker.
  browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (answer: unknown) => void) => {
    // Only the extension's own pages may talk to the worker.
    if (sender.id !== browser.runtime.id || !sender.url?.startsWith(browser.runtime.getURL('/'))) return false;
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'countersign:changed') return false;
    const request = parse(RuntimeRequest, message);
    const answer = request.ok
      ? service.handle(request.value)
      : Promise.resolve({ ok: false, code: 'invalid_request', field: request.field });
    answer.then(sendResponse, () => sendResponse({ ok: false, code: 'internal_error' }));
    return true;
  });

  // The alarm persists across restarts; creating it again only resets its period.
  void browser.alarms.get(WATCHDOG_ALARM).then((alarm) => {
    if (!alarm) void browser.alarms.create(WATCHDOG_ALARM, { periodInMinutes: 0.5 });
  });
  wake();
});
