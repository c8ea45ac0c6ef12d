/** Every stable error code a client may see. Tests assert these, never the wording. */
export type ErrorCode =
  | 'invalid_request'
  | 'payload_too_large'
  | 'bad_signature'
  | 'pairing_expired'
  | 'pairing_used'
  | 'no_push_method'
  | 'invalid_credentials'
  | 'rate_limited'
  | 'locked_out'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'user_exists'
  | 'group_exists'
  | 'already_decided'
  | 'already_completed'
  | 'not_approved'
  | 'expired'
  | 'clock_skew'
  | 'not_addressed'
  | 'unknown_device'
  | 'device_revoked'
  | 'malformed_frame'
  | 'frame_too_large'
  | 'csrf_failed'
  | 'not_implemented'
  | 'pin_locked'
  | 'pin_attempts'
  | 'unavailable'
  | 'internal_error';

/** A failure with a stable code; `message` is for humans and never holds secrets or expected values. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
