import { browser } from 'wxt/browser';
import type { PendingChallenge } from '../../lib/db.ts';

/**
 * How a challenge reaches the person: a system notification, the toolbar badge, and the
 * approval window (one at a time, reused for the next request).
 */

const WINDOW_KEY = 'approvalWindowId';

export async function showChallengeNotice(pending: PendingChallenge): Promise<void> {
  const { challenge } = pending;
  const app = challenge.app?.name ?? 'an application';
  const where = [challenge.context.location, challenge.context.ip].filter(Boolean).join(' · ');
  await browser.notifications.create(pending.requestId, {
    type: 'basic',
    iconUrl: browser.runtime.getURL('/icon/128.png'),
    title: `Approve sign-in to ${app}?`,
    message: `${challenge.account.displayName} (${challenge.account.upn})`,
    contextMessage: where,
    priority: 2,
    requireInteraction: true,
  });
}

export async function clearChallengeNotice(requestId: string): Promise<void> {
  await browser.notifications.clear(requestId);
}

export async function setBadgeCount(count: number): Promise<void> {
  // Firefox builds are Manifest V2, where the toolbar button is `browserAction`.
  const action = browser.action ?? (browser as unknown as { browserAction: typeof browser.action }).browserAction;
  await action.setBadgeBackgroundColor({ color: '#c2410c' });
  await action.setBadgeText({ text: count > 0 ? String(count) : '' });
}

/** Opens (or reuses and focuses) the approval window on `requestId`, or on the oldest request. */
export async function openApprovalWindow(requestId?: string): Promise<void> {
  const url = browser.runtime.getURL(`/approve.html${requestId ? `?request=${encodeURIComponent(requestId)}` : ''}`);
  const stored = (await browser.storage.session.get(WINDOW_KEY))[WINDOW_KEY];
  if (typeof stored === 'number') {
    try {
      const [tab] = await browser.tabs.query({ windowId: stored });
      if (tab?.id !== undefined) {
        await browser.tabs.update(tab.id, { url });
        await browser.windows.update(stored, { focused: true, drawAttention: true });
        return;
      }
    } catch {
      /* the window is gone: open a new one */
    }
  }
  const created = await browser.windows.create({ url, type: 'popup', width: 420, height: 660, focused: true });
  if (created?.id !== undefined) await browser.storage.session.set({ [WINDOW_KEY]: created.id });
}

export async function approvalWindowClosed(windowId: number): Promise<void> {
  const stored = (await browser.storage.session.get(WINDOW_KEY))[WINDOW_KEY];
  if (stored === windowId) await browser.storage.session.remove(WINDOW_KEY);
}
