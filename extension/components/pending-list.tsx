import { call } from '../lib/runtime-client.ts';
import type { PendingChallenge } from '../lib/db.ts';
import { formatSeconds } from './use-now.ts';

/** Where a sign-in request comes from, as the relay saw it: "Chrome on Windows · Berlin, DE". */
export function requestOrigin(challenge: PendingChallenge['challenge']): string {
  const { browser, os, location, ip } = challenge.context;
  return `${browser} on ${os} · ${location ?? ip}`;
}

/** The requests waiting for an answer, newest first, each with its app and where it comes from. */
export function PendingList({ pending, now }: { pending: PendingChallenge[]; now: number }) {
  const newestFirst = [...pending].sort((a, b) => b.challenge.createdAt - a.challenge.createdAt);
  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title">Waiting for you ({newestFirst.length})</h2>
      <ul class="list card" data-testid="pending-list">
        {newestFirst.map(({ requestId, challenge }) => (
          <li key={requestId} class="row" data-testid="pending-request" data-request-id={requestId}>
            <div class="grow">
              <div>
                <strong data-testid="pending-app">{challenge.app?.name ?? 'Sign-in'}</strong> · {challenge.account.upn}
              </div>
              <div class="muted" data-testid="pending-origin">
                {requestOrigin(challenge)}
              </div>
              <div class="muted">{formatSeconds(challenge.expiresAt - now)} left</div>
            </div>
            <button class="primary" onClick={() => void call({ type: 'openApproval', requestId })}>
              Review
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
