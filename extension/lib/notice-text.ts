import type { NoticeEntry } from './db.ts';

/**
 * What a relay's `notice` says to the person (notification and popup history), e.g. "A new
 * authenticator, 'Firefox on Windows', was added to alice@example.com".
 */
export function noticeText(notice: Pick<NoticeEntry, 'kind' | 'name' | 'upn'>): string {
  return notice.kind === 'authenticator_added'
    ? `A new authenticator, '${notice.name}', was added to ${notice.upn}`
    : `The authenticator '${notice.name}' was removed from ${notice.upn}`;
}

/** What to do about it. */
export function noticeAdvice(notice: Pick<NoticeEntry, 'kind'>): string {
  return notice.kind === 'authenticator_added'
    ? 'If it was not you, remove it on your security info page and tell your administrator.'
    : 'If it was not you, tell your administrator.';
}
