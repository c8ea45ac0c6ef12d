import { browser } from 'wxt/browser';
import { ID_PATTERN } from '../../../protocol/encoding.ts';
import { approvalWindow } from './approval-window.ts';
import type { NoticeEntry, PendingChallenge } from '../../lib/db.ts';
import { noticeAdvice, noticeText, noticeTitle } from '../../lib/notice-text.ts';

/**
 * How a challenge reaches the person: a system notification, the toolbar badge, and the
 * approval window (one at a time, reused for the next request). Relay notices (an authenticator
 * added or removed) get a notification too.
 */

/**
 * Notification options each browser accepts: Firefox's schema has no `requireInteraction` and
 * rejects the whole call ("Unexpected property"), so only Chromium asks the notification to stay.
 */
function persistentOption(): { requireInteraction?: boolean } {
  return import.meta.env.FIREFOX ? {} : { requireInteraction: true };
}

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
    ...persistentOption(),
  });
}

/**
 * Tells the person about a new challenge on every channel at once (notification, and the
 * approval window unless they turned it off). Each channel runs to its end whatever the other
 * does, and each failure is reported on its own: a notification the browser refuses must not
 * hide a window that failed to open, nor the other way round.
 */
export async function announceChallenge(
  pending: PendingChallenge,
  options: { openWindow: boolean; failed: (channel: NoticeChannel, error: unknown) => void },
): Promise<void> {
  await runNoticeChannels(
    {
      notification: () => showChallengeNotice(pending),
      ...(options.openWindow ? { window: () => approvalWindow.open(pending.requestId) } : {}),
    },
    options.failed,
  );
}

export type NoticeChannel = 'notification' | 'window';

/** Runs every channel to its end; calls `failed` once per channel that threw. */
export async function runNoticeChannels(
  channels: Partial<Record<NoticeChannel, () => Promise<void>>>,
  failed: (channel: NoticeChannel, error: unknown) => void,
): Promise<void> {
  const entries = Object.entries(channels) as Array<[NoticeChannel, () => Promise<void>]>;
  const results = await Promise.allSettled(entries.map(async ([, show]) => show()));
  results.forEach((result, index) => {
    if (result.status === 'rejected') failed(entries[index]![0], result.reason);
  });
}

const NOTICE_PREFIX = 'notice-';

/** The notification's id names the account (deviceId), so a click can open its relay's security info page. */
export async function showAuthenticatorNotice(notice: NoticeEntry): Promise<void> {
  await browser.notifications.create(`${NOTICE_PREFIX}${notice.deviceId}-${notice.at}`, {
    type: 'basic',
    iconUrl: browser.runtime.getURL('/icon/128.png'),
    title: noticeTitle(notice),
    message: noticeText(notice),
    contextMessage: noticeAdvice(notice),
    // Someone else trying the PIN, or a lock, matters more than an added authenticator.
    priority: (notice.kind === 'pin_failure' && !notice.own) || notice.kind === 'pin_locked' ? 2 : 1,
  });
}

/** The deviceId in an authenticator notice's notification id, or null for other notifications. */
export function noticeDeviceId(notificationId: string): string | null {
  const deviceId = new RegExp(`^${NOTICE_PREFIX}(.+)-\\d+$`).exec(notificationId)?.[1];
  return deviceId !== undefined && ID_PATTERN.test(deviceId) ? deviceId : null;
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

/** Opens a relay page (its security info page) in a normal tab. */
export async function openRelayPage(url: string): Promise<void> {
  await browser.tabs.create({ url });
}
