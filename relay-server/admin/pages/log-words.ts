import { SIGNIN_STATUSES, type SigninStatus } from '../../../protocol/messages.ts';
import type { SigninMethod } from '../../store/schema.ts';

/** The sign-in log in words: what each stored status, reason and method means to an administrator. */
export const STATUS_WORDS: Record<SigninStatus, string> = {
  pending: 'Waiting for an answer',
  approved: 'Approved',
  denied: 'Denied',
  reported: 'Reported: "It wasn\'t me"',
  wrong_number: 'Wrong number',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

/**
 * Every reason the store writes: the decisions (signins-store.ts), expiry and cancel
 * (signin-service.ts), supersede (signins-store.ts, migrations.ts) and the password page's
 * refusals (signin-service.ts logAttempt).
 */
export const REASON_WORDS: Record<string, string> = {
  invalid_credentials: 'Wrong password',
  rate_limited: 'Too many attempts: refused for a while',
  superseded: 'Replaced by a newer request',
  expired: 'Not answered in time',
  cancelled: 'Cancelled in the browser',
  wrong_number: 'The number entered did not match',
  denied: 'Denied on the authenticator',
  reported: 'Reported on the authenticator as not theirs',
  pin_failure: 'Wrong PIN, or a PIN attempt never confirmed',
  pin_locked: 'PIN locked after 10 failures: add the authenticator again',
};

export const METHOD_WORDS: Record<SigninMethod, string> = {
  passwordless: 'Phone sign-in (no password)',
  push_after_password: 'Password + approval',
  password: 'Password',
  tap: 'Temporary Access Pass',
  pin_unlock: 'PIN on an authenticator',
};

export const isSigninStatus = (value: string): value is SigninStatus => (SIGNIN_STATUSES as readonly string[]).includes(value);

/** A code nobody has described yet still reads as words ("some_code" → "Some code"), never as a raw code. */
const asWords = (code: string): string => {
  const text = code.replaceAll('_', ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
};

export const statusWords = (status: string): string => (isSigninStatus(status) ? STATUS_WORDS[status] : asWords(status));
export const methodWords = (method: string): string => METHOD_WORDS[method as SigninMethod] ?? asWords(method);

/** The reason when it says more than the status does ("expired" under Expired says nothing new). */
export function reasonWords(status: string, reason: string | null): string | undefined {
  if (reason === null || reason === '' || (reason === status && reason !== 'cancelled')) return undefined;
  return Object.hasOwn(REASON_WORDS, reason) ? REASON_WORDS[reason] : asWords(reason);
}
