import type { AccountView } from '../../lib/runtime-messages.ts';

/** The relay an account is on, by its name and host, e.g. "Countersign (login.example.com)". */
export function RelayName({ account }: { account: Pick<AccountView, 'relayName' | 'relayOrigin'> }) {
  return (
    <span data-testid="account-relay" title={account.relayOrigin}>
      {account.relayName} ({new URL(account.relayOrigin).host})
    </span>
  );
}
