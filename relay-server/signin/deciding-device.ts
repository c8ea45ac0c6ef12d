import type { KeyObject } from 'node:crypto';

/**
 * A device as its authenticated socket knows it: enough to check and apply its decisions without
 * reading the device again. Whether it still exists is checked by the decision's own write.
 */
export interface DecidingDevice {
  readonly id: string;
  readonly userId: string;
  readonly publicKey: KeyObject;
  /** When `last_used_at` was last written for it; written again at most once a minute. */
  lastUsedAt: number;
}

/** How stale `last_used_at` may get: the pages show it to the minute, so no write per decision. */
export const LAST_USED_RESOLUTION_MS = 60_000;
