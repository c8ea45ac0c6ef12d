import type { HistoryOutcome } from '../lib/db.ts';

const OUTCOMES: Record<HistoryOutcome, { title: string; detail: string; tone: 'ok' | 'bad' | 'neutral'; symbol: string }> = {
  approved: { title: 'Sign-in approved', detail: 'You can go back to the sign-in page.', tone: 'ok', symbol: '✓' },
  denied: { title: 'Sign-in denied', detail: 'Nobody was signed in.', tone: 'neutral', symbol: '✕' },
  reported: { title: 'Reported', detail: 'The sign-in was blocked and reported to your administrator.', tone: 'bad', symbol: '⚑' },
  wrong_number: {
    title: 'The number did not match',
    detail: 'The sign-in was refused. If you did not start it, tell your administrator.',
    tone: 'bad',
    symbol: '✕',
  },
  expired: { title: 'The request expired', detail: 'Start the sign-in again if it was you.', tone: 'neutral', symbol: '⏱' },
  handled_elsewhere: {
    title: 'Handled on another device',
    detail: 'Another of your devices answered this request.',
    tone: 'neutral',
    symbol: '↗',
  },
  cancelled: { title: 'Sign-in cancelled', detail: 'The sign-in page withdrew the request.', tone: 'neutral', symbol: '–' },
  superseded: { title: 'Replaced by a newer request', detail: 'A newer sign-in request is waiting.', tone: 'neutral', symbol: '↻' },
  already_decided: {
    title: 'Already answered',
    detail: 'This request was settled before your answer arrived.',
    tone: 'neutral',
    symbol: '–',
  },
  rejected: {
    title: 'Answer rejected',
    detail: 'The relay did not accept this answer. Check the computer clock.',
    tone: 'bad',
    symbol: '!',
  },
  revoked: { title: 'Account removed', detail: 'This device is no longer registered for the account.', tone: 'neutral', symbol: '–' },
};

/** A short line for the popup's history, e.g. "Sign-in approved". */
export function outcomeTitle(outcome: HistoryOutcome): string {
  return OUTCOMES[outcome].title;
}

export function OutcomeView({ outcome, upn }: { outcome: HistoryOutcome; upn?: string | undefined }) {
  const view = OUTCOMES[outcome];
  return (
    <div class="card outcome" data-testid="outcome" data-outcome={outcome} data-tone={view.tone} role="status">
      <div class="symbol" aria-hidden="true">
        {view.symbol}
      </div>
      <h2 style="font-size:18px;text-transform:none;letter-spacing:0;color:inherit">{view.title}</h2>
      {upn && <p class="muted">{upn}</p>}
      <p>{view.detail}</p>
    </div>
  );
}
