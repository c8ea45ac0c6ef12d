import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { matchDigits, type Decision } from '../../../protocol/index.ts';
import { OutcomeView } from '../../components/outcome-view.tsx';
import { PinField } from '../../components/pin-field.tsx';
import { formatSeconds, useNow } from '../../components/use-now.ts';
import type { AccountRecord, HistoryOutcome, PendingChallenge } from '../../lib/db.ts';
import { approveWithPin } from '../../lib/pin-flows.ts';
import { isPinLongEnough } from '../../lib/pin-rule.ts';
import { call, onChanged } from '../../lib/runtime-client.ts';
import type { PinAccount } from '../../lib/runtime-messages.ts';
import { evaluatePrf } from '../../lib/webauthn-ceremony.ts';
import { biometricFailureText } from '../../components/biometric-messages.ts';

/** Asked before "It wasn't me" acts: a mis-click would pause the person's own sign-ins. */
export const REPORT_QUESTION = 'Report this sign-in as suspicious? Requests to your account will be paused.';

/** After a final outcome the window gets out of the way, as Authenticator does; the popup's activity keeps the outcome. */
export const CLOSE_AFTER_OUTCOME_MS = 3_000;

type View =
  | { kind: 'loading' }
  | { kind: 'empty' }
  | ({ kind: 'pending' } & PendingView)
  | { kind: 'outcome'; outcome: HistoryOutcome; upn?: string };

/** The approval window: one sign-in request, its context, number matching and the decision. */
export function ApprovalApp({ initialRequestId }: { initialRequestId: string | null }) {
  const [requestId, setRequestId] = useState(initialRequestId);
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [nextCount, setNextCount] = useState(0);
  const decidedLocally = useRef<HistoryOutcome | null>(null);
  // Only a request this window showed waiting closes it: an old outcome opened from a notice stays to be read.
  const sawPending = useRef(false);

  const load = useCallback(async () => {
    const state = await call({ type: 'getState' });
    const others = state.pending.filter((p) => p.requestId !== requestId);
    setNextCount(others.length);
    if (!requestId) {
      const first = state.pending[0];
      if (first) setRequestId(first.requestId);
      else setView({ kind: 'empty' });
      return;
    }
    const answer = await call({ type: 'getRequest', requestId });
    if (answer.pending) {
      sawPending.current = true;
      setView({
        kind: 'pending',
        pending: answer.pending,
        account: answer.account,
        pinRemembered: answer.pinRemembered,
        pinAccount: answer.pinAccount,
        rememberByDefault: answer.rememberByDefault,
        biometric: answer.biometric ?? null,
      });
    } else if (answer.history) {
      setView({ kind: 'outcome', outcome: answer.history.outcome, upn: answer.history.upn });
    } else if (decidedLocally.current) {
      setView({ kind: 'outcome', outcome: decidedLocally.current });
    } else {
      setView({ kind: 'empty' });
    }
  }, [requestId]);

  useEffect(() => {
    void load();
    return onChanged(() => void load());
  }, [load]);

  useEffect(() => {
    document.title = view.kind === 'pending' ? 'Approve sign-in? – Countersign' : 'Countersign';
  }, [view.kind]);

  const closesItself = view.kind === 'outcome' && sawPending.current && nextCount === 0;
  useEffect(() => {
    if (!closesItself) return;
    const timer = setTimeout(() => window.close(), CLOSE_AFTER_OUTCOME_MS);
    return () => clearTimeout(timer);
  }, [closesItself]);

  const showNext = () => {
    decidedLocally.current = null;
    sawPending.current = false;
    setView({ kind: 'loading' });
    setRequestId(null);
  };

  return (
    <main data-testid="approval" data-state={view.kind}>
      <h1>
        <img src="/icon/32.png" alt="" /> Countersign
      </h1>
      {view.kind === 'loading' && <p class="muted">Loading…</p>}
      {view.kind === 'empty' && (
        <div class="card outcome" data-testid="outcome" data-outcome="none">
          <p>No sign-in request is waiting.</p>
        </div>
      )}
      {view.kind === 'pending' && (
        <PendingRequest
          key={view.pending.requestId}
          pending={view.pending}
          account={view.account}
          pinRemembered={view.pinRemembered}
          pinAccount={view.pinAccount}
          rememberByDefault={view.rememberByDefault}
          biometric={view.biometric}
          onSettled={(outcome) => {
            decidedLocally.current = outcome;
            setView({ kind: 'outcome', outcome, upn: view.pending.challenge.account.upn });
          }}
        />
      )}
      {view.kind === 'outcome' && <OutcomeView outcome={view.outcome} upn={view.upn} />}
      {closesItself && (
        <p class="muted" data-testid="closing-note">
          This window closes by itself. The outcome stays in the extension's recent activity.
        </p>
      )}
      {view.kind !== 'pending' && view.kind !== 'loading' && (
        <div class="row" style="margin-top:12px">
          {nextCount > 0 && (
            <button class="primary grow" data-testid="next-request" onClick={showNext}>
              Next request ({nextCount})
            </button>
          )}
          <button class="grow" onClick={() => window.close()}>
            Close
          </button>
        </div>
      )}
    </main>
  );
}

type Biometric = { credentialId: string; prfSalt: string };
type StoredAccount = Pick<AccountRecord, 'upn' | 'displayName' | 'deviceName'>;

/** What the window knows about one waiting request. */
interface PendingView {
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

function PendingRequest(
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
  const reportConfirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (askingReport) reportConfirm.current?.focus();
  }, [askingReport]);
  const [error, setError] = useState<{ code: string; attemptsLeft?: number | null | undefined } | null>(
    props.pinAccount?.pinLocked ? { code: 'pin_locked' } : null,
  );
  const numberField = useRef<HTMLInputElement>(null);
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
  const stored = props.account;
  const named = challenge.account;
  const accountDiffers = stored !== null && stored.upn.toLowerCase() !== named.upn.toLowerCase();

  useEffect(() => {
    if (remaining <= 0) props.onSettled('expired');
  }, [remaining <= 0]);

  // The typed number's field takes the focus at open; in "choose from three" nothing does, so no
  // number wears a focus ring as if it were already chosen.
  useEffect(() => numberField.current?.focus(), []);

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
  const { context } = challenge;

  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (numberReady && pinReady && !busy) void decide('approve');
      }}
    >
      <div class="card stack">
        <div class="row">
          <strong class="grow" style="font-size:16px">
            Are you trying to sign in?
          </strong>
          <span class={`countdown${remaining < 15_000 ? ' low' : ''}`} data-testid="countdown" aria-label="Time left">
            {formatSeconds(remaining)}
          </span>
        </div>
        <dl class="facts">
          <dt>Account</dt>
          <dd data-testid="request-account">{stored ? `${stored.displayName} (${stored.upn})` : `${named.displayName} (${named.upn})`}</dd>
          <dt>App</dt>
          <dd data-testid="request-app">{challenge.app?.name ?? 'Not shown'}</dd>
          <dt>Location</dt>
          <dd data-testid="request-location">{context.location ?? 'Unknown'}</dd>
          <dt>IP address</dt>
          <dd data-testid="request-ip">{context.ip}</dd>
          <dt>Browser</dt>
          <dd data-testid="request-browser">
            {context.browser} on {context.os}
          </dd>
          <dt>Relay</dt>
          <dd>{props.pending.relayOrigin}</dd>
        </dl>
        {accountDiffers && (
          <p class="alert" role="alert" data-testid="account-mismatch">
            This request names {named.upn}, but this authenticator was added for {stored.upn}. Approve only if you expected it (an
            administrator may have renamed the account); otherwise choose “It wasn't me”.
          </p>
        )}
      </div>

      <div class="card stack">
        {challenge.match.mode === 'code' ? (
          <div data-testid="code-request">
            <div class="muted">The code you entered</div>
            <div class="code-shown" data-testid="request-code">
              {number.slice(0, 4)} {number.slice(4)}
            </div>
            <p class="muted" style="margin:6px 0 0">
              Approve only if you are signing in on that page yourself, and the app, place and browser above are yours.
            </p>
          </div>
        ) : challenge.match.mode === 'type' ? (
          <div>
            <label for="number">Enter the number shown on the sign-in page</label>
            <input
              id="number"
              ref={numberField}
              class="number"
              type="text"
              inputMode="numeric"
              autocomplete="off"
              pattern={`[0-9]{${digits}}`}
              maxLength={digits}
              placeholder={'0'.repeat(digits)}
              data-testid="number-input"
              value={number}
              onInput={(event) => setNumber(event.currentTarget.value.replace(/[^0-9]/g, '').slice(0, digits))}
            />
          </div>
        ) : (
          <fieldset style="border:0;padding:0;margin:0">
            <legend style="font-weight:600;margin-bottom:6px">Pick the number shown on the sign-in page</legend>
            <div class="choices">
              {(challenge.match.mode === 'choose' ? challenge.match.choices : []).map((choice) => (
                <button
                  type="button"
                  key={choice}
                  data-testid="choice"
                  aria-pressed={number === choice}
                  aria-label={`Number ${choice}`}
                  onClick={() => setNumber(choice)}
                >
                  {choice}
                </button>
              ))}
            </div>
          </fieldset>
        )}
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
        <div class="card stack" role="alertdialog" aria-labelledby="report-question" data-testid="report-confirm-dialog">
          <p id="report-question" style="margin:0">
            <strong>{REPORT_QUESTION}</strong>
          </p>
          <div class="row">
            <button
              type="button"
              class="danger grow"
              data-testid="report-confirm"
              disabled={busy !== null}
              ref={reportConfirm}
              onClick={() => void decide('report').finally(() => setAskingReport(false))}
            >
              {busy === 'report' ? 'Reporting…' : 'Report'}
            </button>
            <button type="button" class="grow" data-testid="report-cancel" disabled={busy !== null} onClick={() => setAskingReport(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <p class="muted" data-testid="refuse-hint">
        Deny and “It wasn't me” need no PIN.
      </p>
    </form>
  );
}
