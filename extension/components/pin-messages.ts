import { formatSeconds } from './use-now.ts';

/** Human wording for the worker's failure codes (the codes stay stable; the words may change). */
export function failureText(code: string, retryAt: number | undefined, now: number): string {
  switch (code) {
    case 'wrong_pin':
      return retryAt && retryAt > now
        ? `Wrong PIN. Too many tries: wait ${formatSeconds(retryAt - now)} before the next one.`
        : 'Wrong PIN. Nothing was signed.';
    case 'locked':
      return `Too many wrong PINs. Try again in ${formatSeconds((retryAt ?? now) - now)}.`;
    case 'pin_required':
      return 'Enter your PIN.';
    case 'invalid_pin':
      return 'The PIN must be at least 6 digits.';
    case 'invalid_number':
      return 'Enter the number shown on the sign-in page.';
    case 'invalid_link':
      return 'That is not a Countersign pairing link.';
    case 'relay_unreachable':
      return 'Could not reach the relay. Check the link and your connection.';
    case 'pairing_expired':
      return 'This pairing link has expired. Ask for a new one.';
    case 'pairing_used':
      return 'This pairing link was already used.';
    case 'offline':
      return 'Not connected to the relay right now. Try again in a moment.';
    case 'no_lock':
      return 'Set a PIN first.';
    default:
      return `Something went wrong (${code}).`;
  }
}
