import { describe, expect, it } from 'vitest';
import { isPinLongEnough, isValidPin, PIN_RULE_TEXT } from '../../../protocol/pin-rule.ts';
import { failureText } from '../../../extension/components/pin-messages.ts';

describe('the PIN rule', () => {
  it('accepts only PINs of 6 to 32 digits', () => {
    expect(isValidPin('123456')).toBe(true);
    expect(isValidPin('1'.repeat(32))).toBe(true);
    expect(isValidPin('1'.repeat(33))).toBe(false);
    expect(isValidPin('12345')).toBe(false);
    expect(isValidPin('12345a')).toBe(false);
    expect(isValidPin('')).toBe(false);
  });

  it('lets a button wait for 6 characters, leaving the rest to the submit and its message', () => {
    expect(isPinLongEnough('12345')).toBe(false);
    expect(isPinLongEnough('12345a')).toBe(true);
  });

  it('says the rule in the words invalid_pin shows', () => {
    expect(PIN_RULE_TEXT).toBe('The PIN must be at least 6 digits.');
    expect(failureText('invalid_pin', undefined, 0)).toBe(PIN_RULE_TEXT);
  });
});
