import { useState } from 'preact/hooks';
import { forgetHere, removeWithBiometric, removeWithPin, type RemovalOutcome } from '../lib/account-removal.ts';
import { call } from '../lib/runtime-client.ts';
import type { AccountView, PinAccount } from '../lib/runtime-messages.ts';
import { evaluatePrf } from '../lib/webauthn-ceremony.ts';
import { biometricFailureText } from './biometric-messages.ts';
import { PinField } from './pin-field.tsx';
import type { RemovedAccount } from './removal-message.tsx';
import { failureText } from './pin-messages.ts';

/** What removing does, said before the person confirms. */
export function removalConsequence(displayName: string): string {
  return `${displayName}’s sign-ins will no longer come here; the relay is told.`;
}

/**
 * "Remove", then a confirmation that unlocks the approval key (PIN or WebAuthn) so the relay is
 * told (docs/protocol.md section 4 `remove`). Without the PIN, or when the PIN is locked, the
 * account can still be forgotten here only.
 */
export function RemoveAccount(props: {
  account: AccountView;
  pinAccount: PinAccount | undefined;
  onRemoved(removed: RemovedAccount): void;
}) {
  const { account, pinAccount } = props;
  const [asking, setAsking] = useState(false);
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [biometric, setBiometric] = useState<{ credentialId: string; prfSalt: string } | null>(null);
  // The relay is told with the PIN, or with biometric unlock (which still works when the PIN is locked).
  const pinUsable = pinAccount !== undefined && !account.pinLocked && account.status === 'active';
  const canTell = pinUsable || (biometric !== null && account.status === 'active');

  const open = async () => {
    setAsking(true);
    setProblem(null);
    const status = await call({ type: 'getBiometric' });
    setBiometric(
      status.enabled && status.credentialId && status.prfSalt ? { credentialId: status.credentialId, prfSalt: status.prfSalt } : null,
    );
  };
  const finish = (outcome: RemovalOutcome, describe: (code: string) => string) => {
    if (!outcome.ok) return setProblem(describe(outcome.code));
    props.onRemoved({
      upn: account.upn,
      deviceName: account.deviceName,
      relayName: account.relayName,
      relayOrigin: account.relayOrigin,
      outcome,
    });
  };
  const run = async (work: () => Promise<RemovalOutcome>, describe: (outcome: RemovalOutcome & { ok: false }) => string) => {
    setBusy(true);
    setProblem(null);
    try {
      const outcome = await work();
      finish(outcome, () => describe(outcome as RemovalOutcome & { ok: false }));
      if (!outcome.ok && outcome.code === 'wrong_pin') setPin('');
    } finally {
      setBusy(false);
    }
  };
  const withPin = (event: Event) => {
    event.preventDefault();
    void run(
      () => removeWithPin(pinAccount!, pin),
      (failed) => failureText(failed.code, failed.retryAt, Date.now(), failed.attemptsLeft),
    );
  };
  const withBiometric = (found: { credentialId: string; prfSalt: string }) =>
    void run(
      async () => {
        const prf = await evaluatePrf(found.credentialId, found.prfSalt);
        return prf.ok ? removeWithBiometric(account.deviceId, prf.value) : { ok: false, code: prf.code };
      },
      (failed) => biometricFailureText(failed.code, failed.retryAt, Date.now(), failed.attemptsLeft),
    );
  const hereOnly = () =>
    void run(
      () => forgetHere(account.deviceId, 'chosen'),
      (failed) => failureText(failed.code, undefined, Date.now()),
    );

  if (!asking) {
    return (
      <button type="button" data-testid="remove-account" onClick={() => void open()}>
        Remove
      </button>
    );
  }
  return (
    <form class="stack grow" role="alertdialog" aria-label="Remove account" data-testid="remove-confirm" onSubmit={withPin}>
      <strong>Remove {account.upn}?</strong>
      <p style="margin:0" data-testid="remove-consequence">
        {canTell
          ? removalConsequence(account.displayName)
          : `${account.pinLocked ? 'Its PIN is locked' : 'It cannot be unlocked here'}, so ${account.relayName} cannot be told from here: this browser forgets the account, and you remove it on your security info page.`}
      </p>
      {pinUsable && (
        <PinField
          id={`remove-pin-${account.deviceId}`}
          testId="remove-pin"
          label="Your PIN"
          autocomplete="off"
          value={pin}
          onInput={setPin}
        />
      )}
      {problem && (
        <p class="alert" role="alert" data-testid="remove-problem" style="margin:0">
          {problem}
        </p>
      )}
      <div class="row">
        {pinUsable ? (
          <button type="submit" class="primary grow" data-testid="remove-confirm-yes" disabled={busy || pin.length === 0}>
            {busy ? 'Removing…' : 'Remove'}
          </button>
        ) : canTell ? null : (
          <button type="button" class="primary grow" data-testid="remove-here-only" disabled={busy} onClick={hereOnly}>
            Remove from this browser
          </button>
        )}
        <button type="button" data-testid="remove-confirm-no" disabled={busy} onClick={() => setAsking(false)}>
          Keep
        </button>
      </div>
      {canTell && biometric && (
        <button
          type="button"
          class={pinUsable ? undefined : 'primary'}
          data-testid="remove-biometric"
          disabled={busy}
          onClick={() => withBiometric(biometric)}
        >
          Unlock with Windows Hello, Touch ID or a security key
        </button>
      )}
      {canTell && (
        <button type="button" class="link" data-testid="remove-here-only" disabled={busy} onClick={hereOnly}>
          {pinUsable ? 'Forgot your PIN? Remove from this browser only' : 'Remove from this browser only'}
        </button>
      )}
    </form>
  );
}
