import { useState } from 'preact/hooks';
import { FormMessage, type FormMessageValue } from '../../components/form-message.tsx';
import { PinField } from '../../components/pin-field.tsx';
import { failureText } from '../../components/pin-messages.ts';
import { changePinEverywhere } from '../../lib/pin-flows.ts';
import { MIN_PIN_DIGITS } from '../../../protocol/pin-rule.ts';
import type { PinAccount } from '../../lib/runtime-messages.ts';

/** "Change PIN": one new PIN for every account, each changed through its relay (section 4a). */
export function ChangePinForm({ pinAccounts }: { pinAccounts: PinAccount[] }) {
  const [oldPin, setOldPin] = useState('');
  const [newPin, setNewPin] = useState('');
  const [message, setMessage] = useState<FormMessageValue | null>(null);
  const [busy, setBusy] = useState(false);
  const changePin = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const result = await changePinEverywhere(pinAccounts, oldPin, newPin);
      setMessage(pinChangeMessage(result));
      if (result.ok) {
        setOldPin('');
        setNewPin('');
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(e) => void changePin(e)} aria-label="Change PIN">
      <PinField id="old-pin" testId="old-pin" label="Current PIN" value={oldPin} onInput={setOldPin} />
      <PinField id="changed-pin" testId="changed-pin" label={`New PIN (${MIN_PIN_DIGITS}+ digits)`} value={newPin} onInput={setNewPin} />
      {message && <FormMessage message={message} testId="change-pin-message" />}
      <button type="submit" data-testid="change-pin" disabled={busy}>
        {busy ? 'Changing the PIN on every relay…' : 'Change PIN'}
      </button>
    </form>
  );
}

/** A PIN change's outcome in words: which relays could not be reached, which accounts kept the old PIN. */
function pinChangeMessage(result: Awaited<ReturnType<typeof changePinEverywhere>>): FormMessageValue {
  if ('changed' in result) {
    if (result.ok) return { ok: true, text: `PIN changed for ${result.changed.join(', ')}.` };
    const kept = result.failed.map((item) => `${item.upn} (${item.relayOrigin}): ${failureText(item.code, undefined, Date.now())}`);
    return {
      ok: false,
      code: 'partly_changed',
      text: `PIN changed for ${result.changed.join(', ') || 'no account'}. These accounts still use the old PIN: ${kept.join(' ')}`,
    };
  }
  if (result.code === 'relays_unreachable' && result.relays)
    return {
      ok: false,
      code: result.code,
      text: `Changing the PIN needs every relay, and ${result.relays.join(', ')} cannot be reached now. Nothing was changed; try again when it is back.`,
    };
  return { ok: false, code: result.code, text: failureText(result.code, undefined, Date.now(), result.attemptsLeft) };
}
