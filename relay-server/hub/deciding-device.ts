import type { KeyObject } from 'node:crypto';
import type { Decision, Unlock } from '../../protocol/statements.ts';

/**
 * A device as its authenticated socket knows it: enough to check and apply its decisions without
 * reading the device again. Whether it still exists is checked by the decision's own write.
 */
export interface DecidingDevice {
  readonly id: string;
  readonly userId: string;
  /** Signs `approve`, and `deny`/`report` released with a PIN or WebAuthn (docs/protocol.md section 2). */
  readonly approvalKey: KeyObject;
  /** Signs `connect`, and `deny`/`report` with unlock `none`; never an `approve`. */
  readonly connectKey: KeyObject;
  /** When `last_used_at` was last written for it; written again at most once a minute. */
  lastUsedAt: number;
}

/** How stale `last_used_at` may get: the pages show it to the minute, so no write per decision. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The one key a decision may be signed with, or null when the combination is never valid.
 * `approve` needs the approval key (unlock `pin` or `webauthn`); refusing needs no unlock, so
 * `deny` and `report` with `none` are signed with the connect key, and with the approval key otherwise.
 */
export function decisionKey(device: DecidingDevice, decision: Decision, unlock: Unlock): KeyObject | null {
  if (unlock === 'none') return decision === 'approve' ? null : device.connectKey;
  return device.approvalKey;
}
