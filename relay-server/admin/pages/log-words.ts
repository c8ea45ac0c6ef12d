import { SIGNIN_STATUSES, type SigninStatus } from '../../../protocol/messages.ts';
import { codeAsWords, signinReasonWords } from '../../../protocol/signin-reasons.ts';
import type { SigninMethod } from '../../store/schema.ts';

/** The sign-in log in words: what each stored status and method means to an administrator (reasons: protocol/signin-reasons.ts). */
export const STATUS_WORDS: Record<SigninStatus, string> = {
  pending: 'Waiting for an answer',
  approved: 'Approved',
  denied: 'Denied',
  reported: 'Reported: "It wasn\'t me"',
  wrong_number: 'Wrong number',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

export const METHOD_WORDS: Record<SigninMethod, string> = {
  passwordless: 'Phone sign-in (no password)',
  push_after_password: 'Password + approval',
  password: 'Password',
  tap: 'Temporary Access Pass',
  pin_unlock: 'PIN on an authenticator',
};

export const isSigninStatus = (value: string): value is SigninStatus => (SIGNIN_STATUSES as readonly string[]).includes(value);

export const statusWords = (status: string): string => (isSigninStatus(status) ? STATUS_WORDS[status] : codeAsWords(status));
export const methodWords = (method: string): string => METHOD_WORDS[method as SigninMethod] ?? codeAsWords(method);

/** The reason when it says more than the status does ("expired" under Expired says nothing new). */
export function reasonWords(status: string, reason: string | null): string | undefined {
  if (reason === null || reason === '' || (reason === status && reason !== 'cancelled')) return undefined;
  return signinReasonWords(reason) ?? undefined;
}
