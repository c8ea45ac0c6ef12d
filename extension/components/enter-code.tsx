import { useState } from 'preact/hooks';
import { FormMessage, type FormMessageValue } from './form-message.tsx';
import { call } from '../lib/runtime-client.ts';
import type { AccountView, ClaimResult } from '../lib/runtime-messages.ts';

/**
 * "Enter a code" (section 5): a person at a new browser types the 8 digits its sign-in page
 * shows; the worker claims them with the chosen account, or with each account in turn, and the
 * request opens in the approval window, context first, to be approved with the unlock.
 */

/** "1234 5678", "1234-5678" or "12345678" → "12345678"; anything else is null. */
export function readSigninCode(typed: string): string | null {
  const digits = typed.replace(/[\s-]/g, '');
  return /^[0-9]{8}$/.test(digits) ? digits : null;
}

/** What the popup says after a claim that opened nothing. */
export function claimFailureText(result: Exclude<ClaimResult, { ok: true }>): string {
  const away = result.relays && result.relays.length > 0 ? ` ${result.relays.join(', ')} could not be reached.` : '';
  switch (result.code) {
    case 'not_found':
      return `That code is not waiting on any of your accounts. Check the 8 digits on the sign-in page.${away} If the sign-in page says the code expired, start again there for a new one.`;
    case 'rate_limited':
      return 'This authenticator has entered too many codes that were not waiting, so its relay refuses more for up to an hour. Check the code on the sign-in page and try again later, or sign in from a browser you used before.';
    case 'expired':
      return 'That sign-in request has expired. On the sign-in page choose Try again, then enter the new code.';
    case 'offline':
      return `Your accounts' relays cannot be reached now, so the code was not checked.${away} Check your connection and try again.`;
    case 'no_account':
      return 'No account here can take a code. Add an account first.';
    default:
      return 'The code could not be checked. Try again.';
  }
}

export function EnterCode({ accounts }: { accounts: AccountView[] }) {
  const usable = accounts.filter((account) => account.status === 'active' && account.authError === null);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [message, setMessage] = useState<FormMessageValue | null>(null);
  const [busy, setBusy] = useState(false);
  if (usable.length === 0) return null;
  if (!open)
    return (
      <button style="margin-bottom:12px;width:100%" data-testid="enter-code" onClick={() => setOpen(true)}>
        Enter a code from a sign-in page
      </button>
    );
  const code = readSigninCode(typed);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!code) return setMessage({ ok: false, code: 'invalid_code', text: 'Type the 8 digits the sign-in page shows, like 1234 5678.' });
    setBusy(true);
    setMessage(null);
    try {
      const result = await call({ type: 'claimCode', code, ...(deviceId ? { deviceId } : {}) });
      if (result.ok) {
        setTyped('');
        setMessage({ ok: true, text: `Sign-in request for ${result.upn} found. Check it and approve it in the window that opened.` });
      } else setMessage({ ok: false, code: result.code, text: claimFailureText(result) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card stack" style="margin-bottom:12px" data-testid="code-form" onSubmit={(e) => void submit(e)}>
      <strong>Enter a code</strong>
      <div>
        <label for="signin-code">Code shown on the sign-in page</label>
        <input
          id="signin-code"
          class="number"
          type="text"
          inputMode="numeric"
          autocomplete="one-time-code"
          maxLength={9}
          placeholder="1234 5678"
          data-testid="code-input"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value.replace(/[^0-9 -]/g, ''))}
        />
      </div>
      {usable.length > 1 && (
        <div>
          <label for="code-account">Account</label>
          <select id="code-account" data-testid="code-account" value={deviceId} onChange={(e) => setDeviceId(e.currentTarget.value)}>
            <option value="">Any of my accounts</option>
            {usable.map((account) => (
              <option key={account.deviceId} value={account.deviceId}>
                {account.upn} ({account.relayName})
              </option>
            ))}
          </select>
        </div>
      )}
      {message && <FormMessage message={message} testId="code-message" />}
      <div class="row">
        <button class="primary grow" type="submit" data-testid="code-submit" disabled={busy || typed.trim() === ''}>
          {busy ? 'Looking for the request…' : 'Continue'}
        </button>
        <button
          type="button"
          onClick={() => {
            setOpen(false);
            setMessage(null);
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
