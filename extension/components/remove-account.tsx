import { useState } from 'preact/hooks';
import { call } from '../lib/runtime-client.ts';
import type { AccountView } from '../lib/runtime-messages.ts';
import { failureText } from './pin-messages.ts';

/** What the person is asked before an account is removed from this extension. */
export function removeAccountQuestion(upn: string): string {
  return `Remove ${upn} from this extension? The relay will still list this authenticator until you remove it on its Security info page.`;
}

/** "Remove", then a confirmation that says what removing here does not do. */
export function RemoveAccount({ account }: { account: Pick<AccountView, 'deviceId' | 'upn'> }) {
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const remove = async () => {
    const result = await call({ type: 'removeAccount', deviceId: account.deviceId });
    setAsking(false);
    setProblem(result.ok ? null : failureText(result.code, undefined, Date.now()));
  };
  if (!asking) {
    return (
      <>
        <button type="button" data-testid="remove-account" onClick={() => setAsking(true)}>
          Remove
        </button>
        {problem && (
          <p class="alert" role="alert">
            {problem}
          </p>
        )}
      </>
    );
  }
  return (
    <div class="stack grow" role="alertdialog" aria-label="Remove account" data-testid="remove-confirm">
      <p style="margin:0">{removeAccountQuestion(account.upn)}</p>
      <div class="row">
        <button type="button" class="primary grow" data-testid="remove-confirm-yes" onClick={() => void remove()}>
          Remove from this extension
        </button>
        <button type="button" data-testid="remove-confirm-no" onClick={() => setAsking(false)}>
          Keep
        </button>
      </div>
    </div>
  );
}
