import { CLOSE_CODES } from '../limits.ts';
import { DEVICE_CONNECT_PATH } from '../paths.ts';

/**
 * How a device treats a closed socket (section 4): the relay refused or revoked every
 * credential (4401, 4403) means stop, since looping would only hammer it; 1012 means the relay is
 * restarting, so come back soon with jitter; anything else means back off exponentially.
 */
export type CloseMeaning = 'not_authenticated' | 'revoked' | 'restarting' | 'dropped';

export function closeMeaning(code: number): CloseMeaning {
  if (code === CLOSE_CODES.notAuthenticated) return 'not_authenticated';
  if (code === CLOSE_CODES.allRevoked) return 'revoked';
  if (code === CLOSE_CODES.serviceRestart) return 'restarting';
  return 'dropped';
}

export function shouldReconnect(code: number): boolean {
  const meaning = closeMeaning(code);
  return meaning !== 'not_authenticated' && meaning !== 'revoked';
}

export const BASE_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;

/**
 * Delay before reconnect attempt `attempt` (0-based), `random` in [0, 1) from a CSPRNG. Half
 * fixed, half random so many devices do not stampede; after 1012 a quick 0.25 to 3 s.
 */
export function reconnectDelayMs(attempt: number, random: number, closeCode?: number): number {
  if (closeCode === CLOSE_CODES.serviceRestart) return Math.round(250 + random * 2_750);
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

/** The WebSocket URL of a relay: ws(s)://host[:port]/api/v1/devices/connect. */
export function connectUrl(relayOrigin: string): string {
  return `${relayOrigin.replace(/^http/, 'ws')}${DEVICE_CONNECT_PATH}`;
}
