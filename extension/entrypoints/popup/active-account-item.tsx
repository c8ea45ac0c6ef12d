import { connectionText } from '../../components/connection-text.ts';
import { RemoveAccount } from '../../components/remove-account.tsx';
import type { RemovedAccount } from '../../components/removal-message.tsx';
import { call } from '../../lib/runtime-client.ts';
import type { AccountView, PinAccount } from '../../lib/runtime-messages.ts';
import { RelayName } from './relay-name.tsx';

/** A paired account: who, where, its connection in words, and a way to remove it from here. */
export function ActiveAccountItem({
  account,
  pinAccount,
  onRemoved,
}: {
  account: AccountView;
  pinAccount: PinAccount | undefined;
  onRemoved(removed: RemovedAccount): void;
}) {
  const text = connectionText(account);
  const problem = account.authError !== null || account.connection === 'reconnecting' || account.connection === 'error';
  return (
    <li class="stack" data-testid="account" data-upn={account.upn} data-status={account.status} data-connection={account.connection}>
      <div class="row">
        <span class="dot" data-state={account.authError ? 'error' : account.connection} aria-hidden="true" />
        <div class="grow">
          <div>
            <strong>{account.displayName}</strong> <span class="muted">{account.upn}</span>
          </div>
          <div class="muted">
            <RelayName account={account} /> · <span data-testid="connection-state">{text.label}</span> ·{' '}
            <span data-testid="device-name">{account.deviceName}</span>
          </div>
          {text.advice && (
            <div class={problem ? 'alert' : 'muted'} data-testid="connection-problem" data-code={account.authError ?? account.connection}>
              {text.advice}
            </div>
          )}
          {account.needsUpgrade && !account.pinLocked && (
            <div class="notice" data-testid="needs-upgrade">
              Approve once to finish the security upgrade.
            </div>
          )}
          {account.pinLocked && (
            <div class="alert" data-testid="pin-locked">
              Too many wrong PINs were entered for this account, so its relay no longer accepts the PIN. Add it again from your security
              info page; until then it cannot approve with the PIN.
            </div>
          )}
        </div>
      </div>
      <div class="row">
        {account.pinLocked && (
          <button
            type="button"
            class="primary grow"
            data-testid="add-again"
            onClick={() => void call({ type: 'openSecurityInfo', deviceId: account.deviceId })}
          >
            Add again
          </button>
        )}
        {account.authError && (
          <button
            type="button"
            class="primary grow"
            data-testid="open-security-info"
            onClick={() => void call({ type: 'openSecurityInfo', deviceId: account.deviceId })}
          >
            Open security info
          </button>
        )}
        <RemoveAccount account={account} pinAccount={pinAccount} onRemoved={onRemoved} />
      </div>
    </li>
  );
}
