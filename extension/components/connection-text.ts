import type { AccountView } from '../lib/runtime-messages.ts';

/**
 * An account's connection in words a person understands: a short state for the list, and when
 * something is wrong, what happened and what to do. Codes stay in `data-*` attributes for tests.
 */
export interface ConnectionText {
  label: string;
  /** What happened and what to do; null when all is well or just starting. */
  advice: string | null;
}

/** Refusals that mean the relay no longer knows this authenticator for the account. */
const REMOVED_ON_RELAY = new Set(['device_revoked', 'unknown_device', 'closed_4403', 'closed_4401']);

export function connectionText(account: Pick<AccountView, 'status' | 'connection' | 'authError'>): ConnectionText {
  if (account.status === 'needs_re_add') {
    return { label: 'Needs to be added again', advice: 'Add this account again from your security info page.' };
  }
  if (account.authError) {
    return REMOVED_ON_RELAY.has(account.authError)
      ? { label: 'Removed on the relay', advice: 'This authenticator was removed on the relay. Add it again from Security info.' }
      : {
          label: 'Refused by the relay',
          advice: 'The relay refused this authenticator. Add the account again from Security info, or ask your administrator.',
        };
  }
  switch (account.connection) {
    case 'connected':
      return { label: 'Connected', advice: null };
    case 'connecting':
      return { label: 'Connecting…', advice: null };
    case 'reconnecting':
      return { label: 'Offline', advice: "Can't reach the relay. It will keep trying." };
    case 'idle':
      return { label: 'Not connected yet', advice: 'It connects by itself; if this stays, check your network.' };
    case 'error':
      return {
        label: 'Not connected',
        advice: 'The relay closed the connection. It will try again when you open this window or a request needs it.',
      };
  }
}
