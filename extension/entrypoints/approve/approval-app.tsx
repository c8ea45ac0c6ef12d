import { browser } from 'wxt/browser';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { OutcomeView } from '../../components/outcome-view.tsx';
import type { HistoryOutcome } from '../../lib/db.ts';
import { call, onChanged } from '../../lib/runtime-client.ts';
import { closeUnlessWaiting } from './close-unless-waiting.ts';
import { PendingRequest, type PendingView } from './pending-request.tsx';

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
    const timer = setTimeout(
      () =>
        void closeUnlessWaiting({
          mayClose: async () => {
            const { id } = await browser.windows.getCurrent();
            return id === undefined || (await call({ type: 'closeApproval', windowId: id })).close;
          },
          close: () => window.close(),
          showWaiting: () => void load(),
        }),
      CLOSE_AFTER_OUTCOME_MS,
    );
    return () => clearTimeout(timer);
  }, [closesItself, load]);

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
      {view.kind === 'pending' && nextCount > 0 && (
        <p class="muted" data-testid="more-waiting">
          {nextCount === 1 ? '1 more sign-in request is' : `${nextCount} more sign-in requests are`} waiting after this one.
        </p>
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
