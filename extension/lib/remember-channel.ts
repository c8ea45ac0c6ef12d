import { ID_PATTERN } from '../../protocol/encoding.ts';

/**
 * How a page hands an account's PIN wrapping key to the worker for "Remember my PIN": runtime
 * messages are JSON in Chromium and cannot carry a CryptoKey, a BroadcastChannel (same extension
 * origin only) structured-clones it, still non-extractable.
 */
export const REMEMBER_CHANNEL = 'countersign-remember-pin';

export interface RememberHandover {
  deviceId: string;
  key: CryptoKey;
}

/** Validates what arrived on REMEMBER_CHANNEL: a non-extractable AES-GCM decrypt key for one account id. */
export function readHandover(data: unknown): RememberHandover | null {
  if (typeof data !== 'object' || data === null) return null;
  const { deviceId, key } = data as { deviceId?: unknown; key?: unknown };
  if (typeof deviceId !== 'string' || !ID_PATTERN.test(deviceId)) return null;
  if (!(key instanceof CryptoKey) || key.algorithm.name !== 'AES-GCM' || key.extractable || !key.usages.includes('decrypt')) return null;
  return { deviceId, key };
}
