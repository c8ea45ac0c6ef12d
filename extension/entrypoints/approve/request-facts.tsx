import { formatSeconds } from '../../components/use-now.ts';
import type { AccountRecord, PendingChallenge } from '../../lib/db.ts';

export type StoredAccount = Pick<AccountRecord, 'upn' | 'displayName' | 'deviceName'>;

/**
 * What the request is, before anything is asked: the time left, the account (as stored at
 * pairing, whatever the challenge claims), app, place, browser and relay.
 */
export function RequestFacts({
  pending,
  stored,
  remaining,
}: {
  pending: PendingChallenge;
  stored: StoredAccount | null;
  remaining: number;
}) {
  const { challenge } = pending;
  const { context } = challenge;
  const named = challenge.account;
  const accountDiffers = stored !== null && stored.upn.toLowerCase() !== named.upn.toLowerCase();
  return (
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
        <dd>{pending.relayOrigin}</dd>
      </dl>
      {accountDiffers && (
        <p class="alert" role="alert" data-testid="account-mismatch">
          This request names {named.upn}, but this authenticator was added for {stored.upn}. Approve only if you expected it (an
          administrator may have renamed the account); otherwise choose “It wasn't me”.
        </p>
      )}
    </div>
  );
}
