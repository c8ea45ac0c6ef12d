import type { NoticeEntry } from './db.ts';

/**
 * What a relay's `notice` says to the person (notification and popup history), e.g. "A new
 * authenticator, 'Firefox on Windows', was added to alice@example.com". A `pin_failure` this
 * browser did not cause (`own` unset) is someone else trying the PIN: said plainly, with what to do.
 */
export function noticeText(notice: Pick<NoticeEntry, 'kind' | 'name' | 'upn' | 'own'>): string {
  switch (notice.kind) {
    case 'authenticator_added':
      return `A new authenticator, '${notice.name}', was added to ${notice.upn}`;
    case 'authenticator_removed':
      return `The authenticator '${notice.name}' was removed from ${notice.upn}`;
    case 'pin_failure':
      return notice.own
        ? `A wrong PIN was entered here for ${notice.upn}`
        : `Someone else entered a wrong PIN for ${notice.upn} on '${notice.name}'`;
    case 'pin_locked':
      return `Too many wrong PINs on '${notice.name}': its PIN no longer approves sign-ins for ${notice.upn}`;
  }
}

/** The notification's title. */
export function noticeTitle(notice: Pick<NoticeEntry, 'kind' | 'own'>): string {
  switch (notice.kind) {
    case 'authenticator_added':
      return 'Authenticator added';
    case 'authenticator_removed':
      return 'Authenticator removed';
    case 'pin_failure':
      return notice.own ? 'Wrong PIN' : 'Someone tried your PIN';
    case 'pin_locked':
      return 'Authenticator locked';
  }
}

/** What to do about it. */
export function noticeAdvice(notice: Pick<NoticeEntry, 'kind' | 'name' | 'own'>): string {
  switch (notice.kind) {
    case 'authenticator_added':
      return 'If it was not you, remove it on your security info page and tell your administrator.';
    case 'authenticator_removed':
      return 'If it was not you, tell your administrator.';
    case 'pin_failure':
      return notice.own
        ? 'After 10 wrong PINs the account must be added again.'
        : `If it was not you, someone may have a copy of that browser's data. Remove '${notice.name}' on your security info page (this stops that browser's access), then add your browser again; change your PIN if you use it elsewhere.`;
    case 'pin_locked':
      return `Add the account again from your security info page, and remove '${notice.name}' there if it was not you.`;
  }
}
