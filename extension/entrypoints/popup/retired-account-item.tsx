import { useState } from 'preact/hooks';
import { failureText } from '../../components/pin-messages.ts';
import { call } from '../../lib/runtime-client.ts';
import type { AccountView } from '../../lib/runtime-messages.ts';
import { RelayName } from './relay-name.tsx';

/**
 * An account paired before protocol revision 2: its keys were dropped because one of them could
 * approve without the PIN. The person adds it again from the relay's security info page (and
 * removes the old authenticator there), then removes this entry, or it goes by itself once re-added.
 */
export function RetiredAccountItem({ account }: { account: AccountView }) {
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (request: { type: 'openSecurityInfo' | 'removeAccount'; deviceId: string }) => {
    const result = await call(request);
    setProblem(result.ok ? null : failureText(result.code, undefined, Date.now()));
  };
  return (
    <li class="stack" data-testid="account" data-upn={account.upn} data-status="needs_re_add" data-connection={account.connection}>
      <div class="row">
        <span class="dot" data-state="error" aria-hidden="true" />
        <div class="grow">
          <div>
            <strong>{account.displayName}</strong> <span class="muted">{account.upn}</span>
          </div>
          <div class="muted">
            <RelayName account={account} /> · <strong data-testid="needs-re-add">needs to be added again</strong>
          </div>
        </div>
      </div>
      <p class="muted" style="margin:0">
        This account was added with an older version that kept a key usable without your PIN, so its keys were deleted and it no longer
        receives requests. On your security info page, remove the old authenticator “{account.deviceName}” and add this browser again.
      </p>
      <div class="row">
        <button
          type="button"
          class="primary grow"
          data-testid="open-security-info"
          onClick={() => void run({ type: 'openSecurityInfo', deviceId: account.deviceId })}
        >
          Open security info
        </button>
        <button type="button" data-testid="remove-account" onClick={() => void run({ type: 'removeAccount', deviceId: account.deviceId })}>
          Remove
        </button>
      </div>
      {problem && (
        <p class="alert" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
