/**
 * The PIN rule, one for every place that takes a PIN (the extension's pages, the virtual device):
 * 6 to 32 digits. Nothing stored can check a PIN (section 4a), so this shape check is all a
 * device does before the relay is asked.
 */
export const MIN_PIN_DIGITS = 6;

export function isValidPin(pin: string): boolean {
  return new RegExp(`^[0-9]{${MIN_PIN_DIGITS},32}$`).test(pin);
}

/**
 * Enough typed to try: a button waits for this, and the submit then checks `isValidPin` and says
 * what is wrong, rather than leaving the button grey without a word.
 */
export function isPinLongEnough(pin: string): boolean {
  return pin.length >= MIN_PIN_DIGITS;
}

/** What the person reads when a PIN breaks the rule (code `invalid_pin`). */
export const PIN_RULE_TEXT = `The PIN must be at least ${MIN_PIN_DIGITS} digits.`;
