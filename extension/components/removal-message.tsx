import type { RemovalOutcome } from '../lib/account-removal.ts';

/** A finished removal, shown above the accounts once the entry is gone. */
export interface RemovedAccount {
  upn: string;
  deviceName: string;
  relayName: string;
  relayOrigin: string;
  outcome: Extract<RemovalOutcome, { ok: true }>;
}

/** The finished removal in words; when the relay was not told, where to finish it. */
export function RemovalMessage({ removed }: { removed: RemovedAccount }) {
  const { outcome } = removed;
  if (outcome.relayTold) {
    return (
      <p class="notice" role="status" data-testid="removal-message" data-relay-told="true">
        Removed {removed.upn}. {removed.relayName} no longer sends its sign-ins here.
      </p>
    );
  }
  const why = outcome.why === 'unreachable' ? `${removed.relayName} could not be reached, so it` : `${removed.relayName}`;
  return (
    <p class="alert" role="status" data-testid="removal-message" data-relay-told="false">
      Removed {removed.upn} from this browser only. {why} still lists “{removed.deviceName}”: remove it on your{' '}
      <a href={`${removed.relayOrigin}/security-info`} target="_blank" rel="noreferrer" data-testid="removal-security-info">
        security info page
      </a>
      .
    </p>
  );
}
