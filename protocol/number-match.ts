import { randomInt } from './encoding.ts';

export type MatchMode = 'type' | 'choose';

export const MIN_DIGITS = 2;
export const MAX_DIGITS = 6;

/**
 * A number of exactly `digits` decimal digits, uniform over 0 … 10^digits − 1, leading zeros kept.
 * @example randomMatchNumber(2) // "07"
 */
export function randomMatchNumber(digits: number): string {
  assertDigits(digits);
  return String(randomInt(10 ** digits)).padStart(digits, '0');
}

/** Three distinct numbers, one of them `right`, in an order drawn from the CSPRNG. */
export function matchChoices(right: string, digits: number): [string, string, string] {
  assertDigits(digits);
  if (!isMatchNumber(right, digits)) throw new RangeError('right number has the wrong shape');
  const choices = new Set([right]);
  while (choices.size < 3) choices.add(randomMatchNumber(digits));
  const list = [...choices];
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list as [string, string, string];
}

export function isMatchNumber(value: unknown, digits: number): value is string {
  return typeof value === 'string' && value.length === digits && /^[0-9]+$/.test(value);
}

/** The chance that a guess is right: what an admin weighs when choosing mode and digits. */
export function luckyGuessChance(mode: MatchMode, digits: number): number {
  return mode === 'choose' ? 1 / 3 : 1 / 10 ** digits;
}

function assertDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new RangeError(`digits must be ${MIN_DIGITS}..${MAX_DIGITS}`);
  }
}

/** Digits of a sign-in code (section 5): the number a `code`-mode approval carries. */
export const SIGNIN_CODE_DIGITS = 8;

/**
 * How many digits an approval of this challenge carries: the match's, or a sign-in code's 8.
 * @example matchDigits({ mode: 'code' }) === 8
 */
export function matchDigits(match: { mode: 'code' } | { mode: MatchMode; digits: number }): number {
  return match.mode === 'code' ? SIGNIN_CODE_DIGITS : match.digits;
}
