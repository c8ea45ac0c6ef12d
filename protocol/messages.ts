import * as v from 'valibot';
import { ID_PATTERN } from './encoding.ts';
import { LIMITS } from './limits.ts';
import { MAX_DIGITS, MIN_DIGITS } from './number-match.ts';
import { UNLOCK_METHODS } from './statements.ts';

/**
 * One schema per message and body of docs/protocol.md. Objects ignore unknown fields; a missing,
 * mistyped or oversized field fails. `parse()` below turns a failure into a named field.
 */

const NO_NEWLINE = /^[^\n\r]*$/;
const boundedText = (max: number) => v.pipe(v.string(), v.maxLength(max), v.regex(NO_NEWLINE, 'must be one line'));
const requiredText = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max), v.regex(NO_NEWLINE, 'must be one line'));
const base64url = (minChars: number, maxChars: number) =>
  v.pipe(v.string(), v.minLength(minChars), v.maxLength(maxChars), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));

export const IdSchema = v.pipe(v.string(), v.regex(ID_PATTERN, 'must be a 22-character id'));
/** 64 bytes r‖s → 86 base64url characters. */
export const SignatureSchema = base64url(86, 86);
/** 65-byte uncompressed point → 87 base64url characters. */
export const PublicKeySchema = base64url(87, 87);
/** A serialized P-256 OPRF element (RFC 9497: a 33-byte compressed point) → 44 base64url characters. */
export const OprfElementSchema = base64url(44, 44);
/** A sign-in code (section 5): 8 decimal digits. */
export const SigninCodeSchema = v.pipe(v.string(), v.regex(/^[0-9]{8}$/, 'must be 8 decimal digits'));
export const UpnSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(LIMITS.upnChars),
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
  v.regex(/^[^\s\u0000-\u001f\u007f]+$/, 'must not contain spaces or control characters'),
);
export const DisplayNameSchema = requiredText(LIMITS.displayNameChars);
export const DeviceNameSchema = requiredText(LIMITS.deviceNameChars);
/** Unix ms: a safe integer, so every statement can write it in plain decimal. */
export const TimeSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
export const DigitsSchema = v.pipe(v.number(), v.integer(), v.minValue(MIN_DIGITS), v.maxValue(MAX_DIGITS));
/** The number of a decision: up to 6 digits, or the 8-digit code of a sign-in by code (section 5). */
export const MatchNumberSchema = v.pipe(v.string(), v.regex(/^[0-9]{0,8}$/, 'must be up to 8 decimal digits'));
export const DecisionSchema = v.picklist(['approve', 'deny', 'report']);
export const UnlockSchema = v.picklist(UNLOCK_METHODS);
export const GroupNameSchema = requiredText(64);
/** A user's email address (docs/protocol.md section 7): the `email` claim apps key people by. */
export const EmailSchema = v.pipe(
  v.string(),
  v.maxLength(254),
  v.regex(/^[^\s@"<>()[\],;:\\]+@[^\s@"<>()[\],;:\\]+\.[^\s@"<>()[\],;:\\]+$/, 'must be an email address'),
);

// ---- Relay → device (section 4) ----

export const HelloMessage = v.object({ type: v.literal('hello'), nonce: base64url(22, 64), serverTime: TimeSchema });
export const ReadyMessage = v.object({
  type: v.literal('ready'),
  accepted: v.array(IdSchema),
  rejected: v.array(v.object({ deviceId: v.string(), code: v.string() })),
});
export const MatchSchema = v.pipe(
  v.variant('mode', [
    v.object({ mode: v.literal('type'), digits: DigitsSchema }),
    /** Section 5: a sign-in by code; the person typed the code, so there is no number to show. */
    v.object({ mode: v.literal('code') }),
    v.object({
      mode: v.literal('choose'),
      digits: DigitsSchema,
      choices: v.pipe(v.array(v.pipe(v.string(), v.regex(/^[0-9]{2,6}$/))), v.length(3)),
    }),
  ]),
  // Section 4: "three distinct strings of `digits` digits"; the variant alone cannot relate the two fields.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.mode !== 'choose') return;
    const { digits, choices } = dataset.value;
    if (new Set(choices).size !== 3 || choices.some((choice) => choice.length !== digits)) {
      addIssue({
        message: 'must be three distinct numbers of `digits` digits',
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'choices', value: choices }],
      });
    }
  }),
);
export const ChallengeMessage = v.object({
  type: v.literal('challenge'),
  requestId: IdSchema,
  deviceId: IdSchema,
  account: v.object({ upn: UpnSchema, displayName: boundedText(LIMITS.displayNameChars) }),
  app: v.nullable(v.object({ name: boundedText(LIMITS.appNameChars) })),
  context: v.object({
    ip: boundedText(LIMITS.contextChars),
    location: v.nullable(boundedText(LIMITS.contextChars)),
    browser: boundedText(LIMITS.contextChars),
    os: boundedText(LIMITS.contextChars),
  }),
  match: MatchSchema,
  createdAt: TimeSchema,
  expiresAt: TimeSchema,
});
export const CANCEL_REASONS = ['approved_elsewhere', 'denied_elsewhere', 'expired', 'cancelled', 'superseded'] as const;
export const CancelMessage = v.object({ type: v.literal('cancel'), requestId: IdSchema, reason: v.picklist(CANCEL_REASONS) });
export const RESULT_OUTCOMES = ['approved', 'denied', 'reported', 'wrong_number', 'expired', 'already_decided', 'rejected'] as const;
export const ResultMessage = v.object({
  type: v.literal('result'),
  requestId: v.string(),
  outcome: v.picklist(RESULT_OUTCOMES),
  code: v.optional(v.string()),
});
export const RevokedMessage = v.object({ type: v.literal('revoked'), deviceId: IdSchema });
export const NOTICE_KINDS = ['authenticator_added', 'authenticator_removed', 'pin_failure', 'pin_locked'] as const;
export const NoticeMessage = v.object({
  type: v.literal('notice'),
  deviceId: IdSchema,
  kind: v.picklist(NOTICE_KINDS),
  name: boundedText(LIMITS.deviceNameChars),
  at: TimeSchema,
});
export const PingMessage = v.object({ type: v.literal('ping'), t: TimeSchema });
export const ErrorMessage = v.object({
  type: v.literal('error'),
  code: v.string(),
  message: v.string(),
  deviceId: v.optional(IdSchema),
});
/** Section 4a: the relay's OPRF evaluation of an `unlock`'s element, and what is left. */
export const UnlockedMessage = v.object({
  type: v.literal('unlocked'),
  deviceId: IdSchema,
  evaluated: OprfElementSchema,
  attemptsLeft: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100)),
});
/** Section 4a: the evaluation under the device's new OPRF key after a PIN change. */
export const RekeyedMessage = v.object({ type: v.literal('rekeyed'), deviceId: IdSchema, evaluated: OprfElementSchema });

export const RelayToDeviceMessage = v.variant('type', [
  HelloMessage,
  ReadyMessage,
  ChallengeMessage,
  CancelMessage,
  ResultMessage,
  RevokedMessage,
  NoticeMessage,
  PingMessage,
  ErrorMessage,
  UnlockedMessage,
  RekeyedMessage,
]);

// ---- Device → relay (section 4) ----

/** Section 4: 1 to 64 entries, each `deviceId` once; anything else is malformed. */
export const AuthMessage = v.object({
  type: v.literal('auth'),
  credentials: v.pipe(
    v.array(v.object({ deviceId: IdSchema, signature: SignatureSchema })),
    v.minLength(1),
    v.maxLength(LIMITS.maxCredentialsPerSocket),
    v.check(
      (credentials) => new Set(credentials.map((credential) => credential.deviceId)).size === credentials.length,
      'must name each deviceId once',
    ),
  ),
});
export const DecisionMessage = v.object({
  type: v.literal('decision'),
  requestId: IdSchema,
  deviceId: IdSchema,
  decision: DecisionSchema,
  number: MatchNumberSchema,
  signedAt: TimeSchema,
  unlock: UnlockSchema,
  signature: SignatureSchema,
});
export const PongMessage = v.object({ type: v.literal('pong'), t: TimeSchema });
/** Section 4a: asks the relay to evaluate the blinded PIN. */
export const UnlockMessage = v.object({ type: v.literal('unlock'), deviceId: IdSchema, blinded: OprfElementSchema });
/** Section 4a: proves an unwrap (a `device-action` `unlock-proof` over this socket's nonce). */
export const UnlockProofMessage = v.object({
  type: v.literal('unlock_proof'),
  deviceId: IdSchema,
  blinded: OprfElementSchema,
  signature: SignatureSchema,
});
/** Section 4a: a PIN change, the new PIN blinded (a `device-action` `rekey`). */
export const RekeyMessage = v.object({
  type: v.literal('rekey'),
  deviceId: IdSchema,
  blinded: OprfElementSchema,
  signature: SignatureSchema,
});
/** Section 4: the person removed the account from this device (a `device-action` `remove`). */
export const RemoveMessage = v.object({ type: v.literal('remove'), deviceId: IdSchema, signature: SignatureSchema });
/** Section 5: the person typed a sign-in code shown on a page. */
export const ClaimMessage = v.object({ type: v.literal('claim'), deviceId: IdSchema, code: SigninCodeSchema });
export const DeviceToRelayMessage = v.variant('type', [
  AuthMessage,
  DecisionMessage,
  PongMessage,
  UnlockMessage,
  UnlockProofMessage,
  RekeyMessage,
  RemoveMessage,
  ClaimMessage,
]);

// ---- HTTP bodies (sections 3, 5, 6, 7) ----

export const RedeemPairingBody = v.object({
  token: IdSchema,
  publicKey: PublicKeySchema,
  connectPublicKey: PublicKeySchema,
  deviceName: DeviceNameSchema,
  /** Section 4a: the PIN blinded for this device's new OPRF key. */
  pinBlinded: OprfElementSchema,
  signature: SignatureSchema,
});
export const RedeemPairingResponse = v.object({
  deviceId: IdSchema,
  account: v.object({ userId: v.string(), upn: UpnSchema, displayName: v.string() }),
  relay: v.object({ origin: v.string(), name: v.string() }),
  pinEvaluated: OprfElementSchema,
});

export const CreateSigninBody = v.object({
  upn: UpnSchema,
  app: v.optional(boundedText(LIMITS.appNameChars)),
  password: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(LIMITS.passwordChars))),
  /** Section 5: `code` asks for a sign-in by code (nothing is pushed); absent, a push. */
  by: v.optional(v.picklist(['push', 'code'])),
});
export const CreateSigninResponse = v.object({
  requestId: IdSchema,
  number: v.string(),
  digits: DigitsSchema,
  expiresAt: TimeSchema,
  browserToken: v.string(),
});
/** Section 5: the answer to `by: "code"`: the 8-digit code the page shows, in two groups of 4. */
export const CreateCodeSigninResponse = v.object({
  requestId: IdSchema,
  code: SigninCodeSchema,
  expiresAt: TimeSchema,
  browserToken: v.string(),
});
export const SIGNIN_STATUSES = ['pending', 'approved', 'denied', 'reported', 'wrong_number', 'expired', 'cancelled'] as const;
export const SigninStatusResponse = v.object({ status: v.picklist(SIGNIN_STATUSES), reason: v.optional(v.string()) });
export const CompleteSigninResponse = v.object({
  session: v.object({ upn: v.string(), displayName: v.string(), amr: v.array(v.string()) }),
});

export const PolicySchema = v.object({
  enabled: v.boolean(),
  targets: v.union([v.literal('all'), v.pipe(v.array(GroupNameSchema), v.maxLength(100))]),
  excludeGroups: v.pipe(v.array(GroupNameSchema), v.maxLength(100)),
  mode: v.picklist(['any', 'push', 'passwordless']),
  match: v.object({ mode: v.picklist(['type', 'choose']), digits: DigitsSchema }),
  showAppName: v.boolean(),
  showLocation: v.boolean(),
  requestTtlSeconds: v.pipe(v.number(), v.integer(), v.minValue(30), v.maxValue(600)),
  maxPushesPer10Min: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
  /** Section 5: pushes a user gets from unfamiliar clients together in an hour; each such client at most a quarter. */
  // Optional with its default: a policy saved before revision 3 (or a PUT from an older client) keeps working.
  maxUnfamiliarPushesPerHour: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)), 20),
  lockoutAfterFailures: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
});

// The admin API's other bodies and answers (section 7) are in admin-messages.ts, built from these.
export const CreateUserBody = v.object({
  upn: UpnSchema,
  displayName: DisplayNameSchema,
  email: v.optional(EmailSchema),
  password: v.optional(v.pipe(v.string(), v.minLength(8), v.maxLength(LIMITS.passwordChars))),
  groups: v.optional(v.pipe(v.array(GroupNameSchema), v.maxLength(100))),
});
export const IssueTapBody = v.object({
  lifetimeMinutes: v.pipe(v.number(), v.integer(), v.minValue(10), v.maxValue(43_200)),
  oneTime: v.boolean(),
});

export type HelloMessage = v.InferOutput<typeof HelloMessage>;
export type ReadyMessage = v.InferOutput<typeof ReadyMessage>;
export type Match = v.InferOutput<typeof MatchSchema>;
export type ChallengeMessage = v.InferOutput<typeof ChallengeMessage>;
export type CancelReason = (typeof CANCEL_REASONS)[number];
export type CancelMessage = v.InferOutput<typeof CancelMessage>;
export type ResultOutcome = (typeof RESULT_OUTCOMES)[number];
export type ResultMessage = v.InferOutput<typeof ResultMessage>;
export type RevokedMessage = v.InferOutput<typeof RevokedMessage>;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export type NoticeMessage = v.InferOutput<typeof NoticeMessage>;
export type PingMessage = v.InferOutput<typeof PingMessage>;
export type ErrorMessage = v.InferOutput<typeof ErrorMessage>;
export type UnlockedMessage = v.InferOutput<typeof UnlockedMessage>;
export type RekeyedMessage = v.InferOutput<typeof RekeyedMessage>;
export type UnlockMessage = v.InferOutput<typeof UnlockMessage>;
export type UnlockProofMessage = v.InferOutput<typeof UnlockProofMessage>;
export type RekeyMessage = v.InferOutput<typeof RekeyMessage>;
export type RemoveMessage = v.InferOutput<typeof RemoveMessage>;
export type ClaimMessage = v.InferOutput<typeof ClaimMessage>;
export type RelayToDeviceMessage = v.InferOutput<typeof RelayToDeviceMessage>;
export type AuthMessage = v.InferOutput<typeof AuthMessage>;
export type DecisionMessage = v.InferOutput<typeof DecisionMessage>;
export type PongMessage = v.InferOutput<typeof PongMessage>;
export type DeviceToRelayMessage = v.InferOutput<typeof DeviceToRelayMessage>;
export type RedeemPairingBody = v.InferOutput<typeof RedeemPairingBody>;
export type RedeemPairingResponse = v.InferOutput<typeof RedeemPairingResponse>;
export type CreateSigninBody = v.InferOutput<typeof CreateSigninBody>;
export type CreateSigninResponse = v.InferOutput<typeof CreateSigninResponse>;
export type CreateCodeSigninResponse = v.InferOutput<typeof CreateCodeSigninResponse>;
export type SigninStatus = (typeof SIGNIN_STATUSES)[number];
export type SigninStatusResponse = v.InferOutput<typeof SigninStatusResponse>;
export type CompleteSigninResponse = v.InferOutput<typeof CompleteSigninResponse>;
export type Policy = v.InferOutput<typeof PolicySchema>;
export type CreateUserBody = v.InferOutput<typeof CreateUserBody>;
export type IssueTapBody = v.InferOutput<typeof IssueTapBody>;

export const DEFAULT_POLICY: Policy = {
  enabled: true,
  targets: 'all',
  excludeGroups: [],
  mode: 'any',
  match: { mode: 'type', digits: 2 },
  showAppName: true,
  showLocation: true,
  requestTtlSeconds: 120,
  maxPushesPer10Min: 5,
  maxUnfamiliarPushesPerHour: 20,
  lockoutAfterFailures: 10,
};
