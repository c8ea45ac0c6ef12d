import { useState } from 'preact/hooks';
import { BiometricSettings } from '../../components/biometric-settings.tsx';
import { FormMessage } from '../../components/form-message.tsx';
import { PendingList } from '../../components/pending-list.tsx';
import { EnterCode } from '../../components/enter-code.tsx';
import { RemovalMessage, type RemovedAccount } from '../../components/removal-message.tsx';
import { useNow } from '../../components/use-now.ts';
import type { AppState } from '../../lib/runtime-messages.ts';
import { ActiveAccountItem } from './active-account-item.tsx';
import { AddAccount } from './add-account.tsx';
import { RecentActivity } from './recent-activity.tsx';
import { RetiredAccountItem } from './retired-account-item.tsx';
import { Settings } from './settings.tsx';

/** The popup's one screen: waiting requests, a code to enter, the accounts, adding one, activity and settings. */
export function Home({ state }: { state: AppState }) {
  const now = useNow();
  const [adding, setAdding] = useState(!state.accounts.some((account) => account.status === 'active'));
  const [removed, setRemoved] = useState<RemovedAccount | null>(null);
  // Said above the accounts once a pairing worked: the form closes, so the next one starts afresh.
  const [added, setAdded] = useState<string | null>(null);
  const openAddAccount = () => {
    setAdded(null);
    setRemoved(null);
    setAdding(true);
  };
  const pinAccountOf = (deviceId: string) => state.pinAccounts.find((account) => account.deviceId === deviceId);
  return (
    <div>
      {state.pending.length > 0 && <PendingList pending={state.pending} now={now} />}
      <EnterCode accounts={state.accounts} />
      <section aria-labelledby="accounts-title">
        <h2 id="accounts-title">Accounts</h2>
        {removed && <RemovalMessage removed={removed} />}
        {added && <FormMessage message={{ ok: true, text: added }} testId="pair-message" />}
        {state.accounts.length === 0 ? (
          <p class="muted">No account yet. Add one with the pairing link or QR code from your security info page.</p>
        ) : (
          <ul class="list card" data-testid="account-list">
            {state.accounts.map((account) =>
              account.status === 'needs_re_add' ? (
                <RetiredAccountItem key={account.deviceId} account={account} />
              ) : (
                <ActiveAccountItem
                  key={account.deviceId}
                  account={account}
                  pinAccount={pinAccountOf(account.deviceId)}
                  onRemoved={setRemoved}
                />
              ),
            )}
          </ul>
        )}
      </section>
      {adding ? (
        <AddAccount
          hasPin={state.hasPin}
          pinAccounts={state.pinAccounts}
          onDone={() => setAdding(false)}
          onAdded={(text) => {
            setAdded(text);
            setAdding(false);
          }}
        />
      ) : (
        <button style="margin-top:12px;width:100%" data-testid="add-account" onClick={openAddAccount}>
          Add account
        </button>
      )}
      {state.activity.length > 0 && <RecentActivity activity={state.activity} />}
      <Settings state={state} />
      <BiometricSettings pinAccounts={state.pinAccounts} />
    </div>
  );
}
