import { describe, expect, it } from 'vitest';
import { isMatchNumber, luckyGuessChance, matchChoices, MAX_DIGITS, MIN_DIGITS, randomMatchNumber } from '../../../protocol/index.ts';

const DIGIT_RANGE = [2, 3, 4, 5, 6];

describe('randomMatchNumber()', () => {
  it.each(DIGIT_RANGE)('is always exactly %i decimal digits', (digits) => {
    for (let i = 0; i < 2_000; i++) expect(randomMatchNumber(digits)).toMatch(new RegExp(`^[0-9]{${digits}}$`));
  });

  it('keeps leading zeros', () => {
    const draws = Array.from({ length: 2_000 }, () => randomMatchNumber(2));
    expect(draws.some((number) => number.startsWith('0'))).toBe(true);
    expect(draws).not.toContain('7');
  });

  it('covers every 2-digit value with a plausible spread (chi-square)', () => {
    const draws = 20_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const number = randomMatchNumber(2);
      counts.set(number, (counts.get(number) ?? 0) + 1);
    }
    expect(counts.size).toBe(100);
    const expected = draws / 100;
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: mean 99, p = 1e-6 at about 180. 200 flags a real bias, not bad luck.
    expect(chiSquare).toBeLessThan(200);
  });

  it.each([1, 7, 0, -2, 2.5, Number.NaN])('rejects %s digits', (digits) => {
    expect(() => randomMatchNumber(digits)).toThrow(RangeError);
  });

  it('agrees with MIN_DIGITS and MAX_DIGITS', () => {
    expect([MIN_DIGITS, MAX_DIGITS]).toEqual([2, 6]);
  });
});

describe('matchChoices()', () => {
  it.each(DIGIT_RANGE)('gives three distinct %i-digit numbers, the right one among them', (digits) => {
    for (let i = 0; i < 500; i++) {
      const right = randomMatchNumber(digits);
      const choices = matchChoices(right, digits);
      expect(choices).toHaveLength(3);
      expect(new Set(choices).size).toBe(3);
      expect(choices).toContain(right);
      for (const choice of choices) expect(isMatchNumber(choice, digits)).toBe(true);
    }
  });

  it('puts the right number in each of the three positions about equally often', () => {
    const positions = [0, 0, 0];
    const rounds = 3_000;
    for (let i = 0; i < rounds; i++) positions[matchChoices('07', 2).indexOf('07')]! += 1;
    // Expected 1000 each; 850 is more than 5 standard deviations (about 26) away.
    for (const count of positions) expect(count).toBeGreaterThan(850);
  });

  it('works when the right number is 00 or 99', () => {
    expect(matchChoices('00', 2)).toContain('00');
    expect(matchChoices('99', 2)).toContain('99');
  });

  it.each([
    ['a number of the wrong length', '7', 2],
    ['a number with letters', '0a', 2],
    ['a number longer than digits', '123', 2],
    ['an empty number', '', 2],
  ])('rejects %s', (_, right, digits) => {
    expect(() => matchChoices(right, digits)).toThrow(RangeError);
  });

  it('rejects digits out of 2..6', () => {
    expect(() => matchChoices('1234567', 7)).toThrow(RangeError);
  });
});

describe('isMatchNumber()', () => {
  it('accepts only strings of exactly `digits` decimal digits', () => {
    expect(isMatchNumber('07', 2)).toBe(true);
    expect(isMatchNumber('007', 2)).toBe(false);
    expect(isMatchNumber(7, 2)).toBe(false);
    expect(isMatchNumber('٠٧', 2)).toBe(false);
    expect(isMatchNumber(' 7', 2)).toBe(false);
  });
});

describe('luckyGuessChance()', () => {
  it('is one in three when choosing, whatever the digits', () => {
    for (const digits of DIGIT_RANGE) expect(luckyGuessChance('choose', digits)).toBeCloseTo(1 / 3, 12);
  });

  it('is one in 10^digits when typing', () => {
    expect(luckyGuessChance('type', 2)).toBeCloseTo(0.01, 12);
    expect(luckyGuessChance('type', 3)).toBeCloseTo(0.001, 12);
    expect(luckyGuessChance('type', 6)).toBeCloseTo(0.000001, 15);
  });
});
