import { useCallback, useEffect, useState } from 'preact/hooks';
import { BiometricSettings } from '../../components/biometric-settings.tsx';
import { outcomeTitle } from '../../components/outcome-view.tsx';
import { connectionText } from '../../components/connection-text.ts';
import { failureText } from '../../components/pin-messages.ts';
import { FormMessage, type FormMessageValue } from '../../components/form-message.tsx';
import { PendingList } from '../../components/pending-list.tsx';
import { PinField } from '../../components/pin-field.tsx';
import { EnterCode } from '../../components/enter-code.tsx';
import { RemovalMessage, RemoveAccount, type RemovedAccount } from '../../components/remove-account.tsx';
import { useNow } from '../../components/use-now.ts';
import { formatDateTime } from '../../../protocol/display-time.ts';
import { deviceNameFrom } from '../../lib/device-name.ts';
import { noticeAdvice, noticeText } from '../../lib/notice-text.ts';
import { handOverNewAccount } from '../../lib/new-account-channel.ts';
import { pairAccount } from '../../lib/pair-account.ts';
import { changePinEverywhere, checkPinWith, workerPinChannel } from '../../lib/pin-flows.ts';
import { MIN_PIN_DIGITS } from '../../lib/pin-rule.ts';
import { call, onChanged } from '../../lib/runtime-client.ts';
import type { AccountView, ActivityItem, AppState, PinAccount } from '../../lib/runtime-messages.ts';
import { readLinkOnPage } from './page-link.ts';

/**
 * The toolbar popup: accounts, pending requests, pairing and settings. There is no PIN screen of
 * its own: nothing stored could check a PIN (section 4a), so the first pairing chooses it and
 * every later one checks it with the relay of an account already here.
 */
export function PopupApp() {
  const [state, setState] = useState<AppState | null>(null);
  const load = useCallback(async () => setState(await call({ type: 'getState' })), []);
  useEffect(() => {
    void load();
    return onChanged(() => void load());
  }, [load]);

  if (!state) return <main class="muted">Loading…</main>;
  return (
    <main data-testid="popup" data-has-pin={String(state.hasPin)}>
      <h1>
        <img src="/icon/32.png" alt="" /> Countersign
      </h1>
      <Home state={state} />
    </main>
  );
}

function Home({ state }: { state: AppState }) {
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

/**
 * An account paired before protocol revision 2: its keys were dropped because one of them could
 * approve without the PIN. The person adds it again from the relay's security info page (and
 * removes the old authenticator there), then removes this entry, or it goes by itself once re-added.
 */
function RetiredAccountItem({ account }: { account: AccountView }) {
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

/** The relay an account is on, by its name and host, e.g. "Countersign (login.example.com)". */
function RelayName({ account }: { account: Pick<AccountView, 'relayName' | 'relayOrigin'> }) {
  return (
    <span data-testid="account-relay" title={account.relayOrigin}>
      {account.relayName} ({new URL(account.relayOrigin).host})
    </span>
  );
}

/** A paired account: who, where, its connection in words, and a way to remove it from here. */
function ActiveAccountItem({
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

/** Someone else trying the PIN, or a lock: the newest such notice also says what to do. */
const isAlarming = (item: ActivityItem) =>
  item.type === 'notice' && ((item.entry.kind === 'pin_failure' && !item.entry.own) || item.entry.kind === 'pin_locked');

function RecentActivity({ activity }: { activity: ActivityItem[] }) {
  const advised = activity.findIndex(isAlarming);
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Recent activity</h2>
      <ul class="list card" data-testid="activity">
        {activity.map((item, index) =>
          item.type === 'notice' ? (
            <li key={`n:${item.entry.id}`} data-testid="activity-notice" data-kind={item.entry.kind}>
              <div>{noticeText(item.entry)}</div>
              {index === advised && (
                <div class="alert" data-testid="notice-advice">
                  {noticeAdvice(item.entry)}
                </div>
              )}
              <div class="muted" data-testid="activity-time">
                {formatDateTime(item.entry.at)}
              </div>
            </li>
          ) : (
            <li key={`s:${item.entry.requestId}`} data-testid="activity-signin" data-outcome={item.entry.outcome}>
              <div>
                {outcomeTitle(item.entry.outcome)} · {item.entry.appName ?? 'Sign-in'} · {item.entry.upn}
              </div>
              <div class="muted" data-testid="activity-time">
                {formatDateTime(item.entry.at)}
              </div>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

/** The redeem POST, from the popup (the relay answers it with CORS; no cookies go with it). */
function AddAccount({
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

function Settings({ state }: { state: AppState }) {
  const [oldPin, setOldPin] = useState('');
  const [newPin, setNewPin] = useState('');
  const [message, setMessage] = useState<FormMessageValue | null>(null);
  const [busy, setBusy] = useState(false);
  const changePin = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const result = await changePinEverywhere(state.pinAccounts, oldPin, newPin);
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
    <details class="card" style="margin-top:12px" data-testid="settings">
      <summary>Settings</summary>
      <div class="stack" style="margin-top:10px">
        <label class="check">
          <input
            type="checkbox"
            data-testid="auto-open"
            checked={state.prefs.autoOpen}
            onChange={(e) => void call({ type: 'setPrefs', autoOpen: e.currentTarget.checked })}
          />
          Open the approval window when a request arrives
        </label>
        <label class="check">
          <input
            type="checkbox"
            data-testid="remember-pin-default"
            checked={state.prefs.rememberPin}
            onChange={(e) => void call({ type: 'setPrefs', rememberPin: e.currentTarget.checked })}
          />
          Offer to remember my PIN for 5 minutes
        </label>
        {state.pinRemembered && (
          <button type="button" onClick={() => void call({ type: 'forgetPin' })}>
            Forget the remembered PIN now
          </button>
        )}
        <form class="stack" onSubmit={(e) => void changePin(e)} aria-label="Change PIN">
          <PinField id="old-pin" testId="old-pin" label="Current PIN" value={oldPin} onInput={setOldPin} />
          <PinField
            id="changed-pin"
            testId="changed-pin"
            label={`New PIN (${MIN_PIN_DIGITS}+ digits)`}
            value={newPin}
            onInput={setNewPin}
          />
          {message && <FormMessage message={message} testId="change-pin-message" />}
          <button type="submit" data-testid="change-pin" disabled={busy}>
            {busy ? 'Changing the PIN on every relay…' : 'Change PIN'}
          </button>
        </form>
      </div>
    </details>
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
