import { useState } from 'preact/hooks';
import { failureText } from '../../components/pin-messages.ts';
import { FormMessage, type FormMessageValue } from '../../components/form-message.tsx';
import { PinField } from '../../components/pin-field.tsx';
import { deviceNameFrom } from '../../lib/device-name.ts';
import { handOverNewAccount } from '../../lib/new-account-channel.ts';
import { pairAccount } from '../../lib/pair-account.ts';
import { checkPinWith, workerPinChannel } from '../../lib/pin-flows.ts';
import { MIN_PIN_DIGITS } from '../../../protocol/pin-rule.ts';
import { call } from '../../lib/runtime-client.ts';
import type { PinAccount } from '../../lib/runtime-messages.ts';
import { readLinkOnPage } from './page-link.ts';

/** The redeem POST, from the popup (the relay answers it with CORS; no cookies go with it). */
export function AddAccount({
  hasPin,
  pinAccounts,
  onDone,
  onAdded,
}: {
  hasPin: boolean;
  pinAccounts: PinAccount[];
  onDone(): void;
  onAdded(text: string): void;
}) {
  const [link, setLink] = useState('');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [name, setName] = useState(() => deviceNameFrom(navigator as Navigator & { userAgentData?: never }));
  const [message, setMessage] = useState<FormMessageValue | null>(null);
  const [busy, setBusy] = useState(false);
  const cleanName = name.trim();
  const nameProblem = cleanName.length === 0 ? 'Give this authenticator a name.' : cleanName.length > 64 ? 'At most 64 characters.' : null;
  const pinMissing = pin.length === 0 || (!hasPin && again.length === 0);

  const readPage = async () => {
    setMessage(null);
    try {
      const found = await readLinkOnPage();
      if (found) setLink(found);
      setMessage(
        found
          ? { ok: true, text: 'Pairing link found. Enter your PIN to add the account.' }
          : {
              ok: false,
              text: 'No pairing link on this page. Open your security info page, choose Add authenticator, and try again, or paste the link.',
            },
      );
    } catch (error) {
      setMessage({
        ok: false,
        text: "Could not read this page. Open the page with the pairing link in this window's active tab and try again, or paste the link.",
      });
      console.info('[countersign] reading the page failed', error);
    }
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setMessage(null);
    if (!hasPin && pin !== again)
      return setMessage({ ok: false, code: 'pin_mismatch', text: failureText('pin_mismatch', undefined, Date.now()) });
    setBusy(true);
    try {
      const result = await pairAccount({
        link,
        pin,
        deviceName: cleanName,
        checkPin: () => checkPinWith(pinAccounts, pin),
        redeem: async (relayOrigin, body) => {
          const answer = await call({ type: 'redeemPairing', relayOrigin, body });
          if (!answer.ok && answer.code === 'relay_unreachable') throw new Error('relay unreachable');
          return answer;
        },
        store: handOverNewAccount,
        accountAdded: (deviceId) => call({ type: 'accountAdded', deviceId }),
        channel: workerPinChannel,
        confirmed: (deviceId) => call({ type: 'pinConfirmed', deviceId }),
        failed: (deviceId) => call({ type: 'pairingFailed', deviceId }),
        now: () => Date.now(),
      });
      if (result.ok) {
        // The form closes (and a new one starts empty), as the person is done with it.
        onAdded(`Added ${result.account.upn} as “${result.account.deviceName}”.`);
      } else {
        setMessage({ ok: false, code: result.code, text: failureText(result.code, undefined, Date.now(), result.attemptsLeft) });
        if (result.code === 'wrong_pin') setPin('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card stack" style="margin-top:12px" data-testid="add-account-form" onSubmit={(e) => void submit(e)}>
      <strong>Add account</strong>
      <div>
        <label for="pairing-link">Pairing link</label>
        <textarea
          id="pairing-link"
          data-testid="pairing-link-input"
          placeholder="https://…/pair#v=1&token=…"
          value={link}
          onInput={(e) => setLink(e.currentTarget.value)}
        />
      </div>
      <button type="button" data-testid="read-page-link" onClick={() => void readPage()}>
        Use the pairing link on this page
      </button>
      <div>
        <label for="device-name">Name this authenticator</label>
        <input
          id="device-name"
          data-testid="device-name-input"
          maxLength={64}
          value={name}
          onInput={(e) => setName(e.currentTarget.value.replace(/[\r\n]+/g, ' '))}
        />
        <div class="muted">Shown on your security info page, e.g. “Work laptop”.</div>
        {nameProblem && (
          <div class="alert" data-testid="device-name-problem">
            {nameProblem}
          </div>
        )}
      </div>
      <PinField
        id="pair-pin"
        testId="pair-pin"
        label={hasPin ? 'Your PIN' : `Choose a PIN (at least ${MIN_PIN_DIGITS} digits)`}
        autocomplete={hasPin ? 'off' : 'new-password'}
        value={pin}
        onInput={setPin}
      >
        {!hasPin && <div class="muted">You enter it to approve each sign-in, for every account on this browser.</div>}
      </PinField>
      {!hasPin && (
        <PinField
          id="pair-pin-again"
          testId="pair-pin-again"
          label="Repeat the PIN"
          autocomplete="new-password"
          value={again}
          onInput={setAgain}
        />
      )}
      {pinMissing && link && (
        <div class="muted" data-testid="pair-pin-needed">
          Enter your PIN to add the account.
        </div>
      )}
      {message && <FormMessage message={message} testId="pair-message" />}
      <div class="row">
        <button class="primary grow" type="submit" data-testid="pair-submit" disabled={busy || !link || pinMissing || nameProblem !== null}>
          {busy ? 'Adding…' : 'Add account'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </form>
  );
}
