import { LIMITS } from '../limits.ts';
import { RelayToDeviceMessage } from '../messages.ts';
import { parse } from '../parse.ts';

/**
 * Reads one frame from a relay. A device ignores message types it does not know (section 4), so
 * a newer relay can add some; a known type with a bad field is invalid and dropped.
 */
const KNOWN_TYPES = new Set([
  'hello',
  'ready',
  'challenge',
  'cancel',
  'result',
  'revoked',
  'notice',
  'ping',
  'error',
  'unlocked',
  'rekeyed',
]);

export type RelayFrameReading =
  { kind: 'frame'; frame: RelayToDeviceMessage } | { kind: 'unknown'; type: string } | { kind: 'invalid'; field: string; message: string };

export function readRelayFrame(data: unknown): RelayFrameReading {
  if (typeof data !== 'string') return { kind: 'invalid', field: 'frame', message: 'not a text frame' };
  if (data.length > LIMITS.frameBytes) return { kind: 'invalid', field: 'frame', message: 'frame too large' };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: 'invalid', field: 'frame', message: 'not JSON' };
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && !KNOWN_TYPES.has(type)) return { kind: 'unknown', type: type.slice(0, 32) };
  const parsed = parse(RelayToDeviceMessage, json);
  return parsed.ok ? { kind: 'frame', frame: parsed.value } : { kind: 'invalid', field: parsed.field, message: parsed.message };
}

/**
 * `error unavailable` naming no device: the relay could not reach its database while handling a
 * frame of this socket, and changed nothing. It does not say which frame, so whatever the device
 * is waiting for on that socket may be the one: the waits end, and the person can try again.
 */
export function isRelayUnavailable(frame: RelayToDeviceMessage): boolean {
  return frame.type === 'error' && frame.code === 'unavailable' && frame.deviceId === undefined;
}

/** What a device tells the person when `isRelayUnavailable`. */
export const RELAY_UNAVAILABLE_MESSAGE = 'The relay cannot reach its database right now; nothing was changed. Try again shortly.';
