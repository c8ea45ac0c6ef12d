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
