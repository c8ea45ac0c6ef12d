import { useEffect, useState } from 'preact/hooks';
import { matchDigits, type Decision } from '../../../protocol/index.ts';
import { biometricFailureText } from '../../components/biometric-messages.ts';
import { PinField } from '../../components/pin-field.tsx';
import { useNow } from '../../components/use-now.ts';
import type { HistoryOutcome, PendingChallenge } from '../../lib/db.ts';
import { approveWithPin } from '../../lib/pin-flows.ts';
import { isPinLongEnough } from '../../../protocol/pin-rule.ts';
import { call } from '../../lib/runtime-client.ts';
import type { PinAccount } from '../../lib/runtime-messages.ts';
import { evaluatePrf } from '../../lib/webauthn-ceremony.ts';
import { NumberMatch } from './number-match.tsx';
import { ReportConfirm } from './report-confirm.tsx';
import { RequestFacts, type StoredAccount } from './request-facts.tsx';

type Biometric = { credentialId: string; prfSalt: string };

/** What the window knows about one waiting request. */
export interface PendingView {
  pending: PendingChallenge;
  /** The account as stored at pairing: what the window shows, whatever the challenge claims. */
  account: StoredAccount | null;
  pinRemembered: boolean;
  /** What the PIN unlock needs (section 4a); null when the account cannot take a PIN. */
  pinAccount: PinAccount | null;
  rememberByDefault: boolean;
  /** Set when biometric unlock covers this account: the credential and PRF salt to ask for. */
  biometric: Biometric | null;
}

/** One waiting request: its facts, the number, the unlock, and approve, deny or "It wasn't me". */
export function PendingRequest(
  props: PendingView & {
    onSettled(outcome: HistoryOutcome): void;
  },
) {
  const { challenge } = props.pending;
  const now = useNow(250);
  // A sign-in by code (section 5): the code typed in the popup is the approval's number.
  const [number, setNumber] = useState(props.pending.code ?? '');
  const [pin, setPin] = useState('');
  const [remember, setRemember] = useState(props.rememberByDefault || props.pinRemembered);
  // The worker forgets a remembered PIN when it stops: then it asks again (`pin_required`).
  const [pinRemembered, setPinRemembered] = useState(props.pinRemembered);
  const [busy, setBusy] = useState<Decision | null>(null);
  // "It wasn't me" pauses requests to the account until an administrator clears it: asked once first.
  const [askingReport, setAskingReport] = useState(false);
  const [error, setError] = useState<{ code: string; attemptsLeft?: number | null | undefined } | null>(
    props.pinAccount?.pinLocked ? { code: 'pin_locked' } : null,
  );
  const remaining = challenge.expiresAt - now;
  const needsPin = !pinRemembered;
  const digits = matchDigits(challenge.match);
  // After 10 wrong PINs the relay evaluates nothing more for this account: only "Add again" helps.
  // Once seen, the lock stays for this request (a later error, or none, must not bring the PIN back).
  const [lockSeen, setLockSeen] = useState(false);
  useEffect(() => {
    if (error?.code === 'pin_locked') setLockSeen(true);
  }, [error?.code]);
  const pinLocked = lockSeen || error?.code === 'pin_locked' || props.pinAccount?.pinLocked === true;
  // A locked account keeps saying so, with its "Add again", whatever else happens in this window.
  const shownError = error ?? (pinLocked ? { code: 'pin_locked' } : null);

  useEffect(() => {
    if (remaining <= 0) props.onSettled('expired');
  }, [remaining <= 0]);

  // Only an approve carries the PIN: deny and "It wasn't me" are signed without it.
  const decide = async (decision: Decision, prf?: string) => {
    setError(null);
    setBusy(decision);
    const approve = decision === 'approve';
    try {
      // A PIN typed here is checked with the relay and signs here (section 4a); the worker sends it.
      let signed;
      if (approve && prf === undefined && needsPin) {
        if (!props.pinAccount) return setError({ code: 'needs_re_add' });
        const unlocked = await approveWithPin({ account: props.pinAccount, requestId: challenge.requestId, number, pin, remember });
        if (!unlocked.ok) {
          setError({ code: unlocked.code, attemptsLeft: unlocked.attemptsLeft });
          setPin('');
          return;
        }
        signed = unlocked.signed;
      }
      const result = await call({
        type: 'decide',
        requestId: challenge.requestId,
        decision,
        number: approve ? number : '',
        ...(approve && prf !== undefined ? { prf } : signed ? { signed } : {}),
        remember: approve && remember,
      });
      if (result.ok) props.onSettled(result.outcome);
      else {
        setError({ code: result.code });
        if (result.code.startsWith('already_')) props.onSettled(result.code.slice('already_'.length) as HistoryOutcome);
        if (result.code === 'pin_required') setPinRemembered(false);
      }
    } finally {
      setBusy(null);
    }
  };

  // Biometric unlock: the PRF output is asked for here (the worker cannot) and sent for this one approve.
  const approveWithBiometric = async (biometric: Biometric) => {
    setError(null);
    setBusy('approve');
    try {
      const prf = await evaluatePrf(biometric.credentialId, biometric.prfSalt);
      if (!prf.ok) return setError({ code: prf.code });
      await decide('approve', prf.value);
    } finally {
      setBusy(null);
    }
  };

  const numberReady = number.length === digits && /^[0-9]+$/.test(number);
  // Locked, a remembered PIN opens nothing either (the relay refuses `unlock: "pin"`).
  const pinReady = !pinLocked && (!needsPin || isPinLongEnough(pin));

  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (numberReady && pinReady && !busy) void decide('approve');
      }}
    >
      <RequestFacts pending={props.pending} stored={props.account} remaining={remaining} />

      <div class="card stack">
        <NumberMatch match={challenge.match} digits={digits} number={number} onNumber={setNumber} />
        {props.biometric && (
          <button
            type="button"
            class="primary"
            data-testid="approve-biometric"
            disabled={!numberReady || busy !== null}
            onClick={() => void approveWithBiometric(props.biometric!)}
          >
            {busy === 'approve' ? 'Waiting for your authenticator…' : 'Unlock with Windows Hello, Touch ID or a security key'}
          </button>
        )}
        {pinLocked ? null : needsPin ? (
          <PinField id="pin" testId="pin-input" label="Your PIN (to approve)" autocomplete="off" value={pin} onInput={setPin} />
        ) : (
          <p class="muted" data-testid="pin-remembered">
            PIN remembered for a few minutes.
          </p>
        )}
        {!pinLocked && (
          <label class="check">
            <input type="checkbox" data-testid="remember-pin" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
            Remember my PIN for 5 minutes
          </label>
        )}
        {props.pinAccount?.legacy && !pinLocked && (
          <p class="muted" data-testid="upgrade-note">
            Approving with your PIN also finishes this account's security upgrade.
          </p>
        )}
        {shownError && (
          <div class="alert stack" role="alert" data-testid="error" data-code={shownError.code}>
            <span>{biometricFailureText(shownError.code, undefined, now, shownError.attemptsLeft)}</span>
            {shownError.code === 'pin_locked' && props.pinAccount && (
              <button
                type="button"
                class="primary"
                data-testid="add-again"
                onClick={() => void call({ type: 'openSecurityInfo', deviceId: props.pinAccount!.deviceId })}
              >
                Add again
              </button>
            )}
          </div>
        )}
      </div>

      <div class="actions">
        <button class="primary" type="submit" data-testid="approve" disabled={!numberReady || !pinReady || busy !== null}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" data-testid="deny" disabled={busy !== null} onClick={() => void decide('deny')}>
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </button>
        <button
          type="button"
          class="danger"
          data-testid="report"
          disabled={busy !== null || askingReport}
          aria-expanded={askingReport}
          onClick={() => setAskingReport(true)}
        >
          {busy === 'report' ? 'Reporting…' : "It wasn't me"}
        </button>
      </div>
      {askingReport && (
        <ReportConfirm
          busy={busy !== null}
          reporting={busy === 'report'}
          onReport={() => void decide('report').finally(() => setAskingReport(false))}
          onCancel={() => setAskingReport(false)}
        />
      )}
      <p class="muted" data-testid="refuse-hint">
        Deny and “It wasn't me” need no PIN.
      </p>
    </form>
  );
}
