/** The limits of docs/protocol.md sections 2, 4 and 8, in one place so both sides enforce the same. */
export const LIMITS = {
  httpBodyBytes: 16 * 1024,
  frameBytes: 16 * 1024,
  deviceNameChars: 64,
  upnChars: 254,
  displayNameChars: 128,
  appNameChars: 64,
  /** Each sign-in context string a challenge shows (ip, location, browser, os). */
  contextChars: 256,
  passwordChars: 256,
  maxClockSkewMs: 60_000,
  authTimeoutMs: 10_000,
  pingIntervalMs: 20_000,
  malformedFramesBeforeClose: 3,
  pairingLifetimeMs: 10 * 60_000,
  maxCredentialsPerSocket: 64,
  /** Section 4: authenticated sockets one device may hold at once, across instances. */
  maxSocketsPerDevice: 4,
  /** Section 3: a pairing needs a sign-in younger than this. */
  pairingSigninMaxAgeMs: 10 * 60_000,
  /** Section 4a: failures that lock a device's PIN, in this window. */
  pinFailuresBeforeLock: 10,
  pinFailureWindowMs: 30 * 24 * 60 * 60_000,
  /** Section 4a: an attempt no proof follows within this long is a failure. */
  pinProofWindowMs: 60_000,
  /** Section 4a: "Remember my PIN" keeps the wrapping key at most this long. */
  rememberPinMs: 5 * 60_000,
  /** Section 5: unknown sign-in codes a device may send in an hour. */
  unknownCodesPerHour: 10,
  signinCodeDigits: 8,
} as const;

export const CLOSE_CODES = {
  malformed: 4400,
  notAuthenticated: 4401,
  allRevoked: 4403,
  authTimeout: 4408,
  frameTooLarge: 4413,
  rateLimited: 4429,
  /** Standard "service restart": the relay is going away, reconnect soon. */
  serviceRestart: 1012,
} as const;
