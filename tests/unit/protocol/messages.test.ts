import type * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  AuthMessage,
  CancelMessage,
  ChallengeMessage,
  CompleteSigninResponse,
  CreateSigninBody,
  CreateSigninResponse,
  CreateUserBody,
  DecisionMessage,
  DEFAULT_POLICY,
  DeviceToRelayMessage,
  ErrorMessage,
  HelloMessage,
  IssueTapBody,
  LIMITS,
  parse,
  PingMessage,
  PolicySchema,
  PongMessage,
  ReadyMessage,
  NoticeMessage,
  RedeemPairingBody,
  RedeemPairingResponse,
  RelayToDeviceMessage,
  ResultMessage,
  RevokedMessage,
  SigninStatusResponse,
  UnlockedMessage,
  RekeyedMessage,
  UnlockMessage,
  UnlockProofMessage,
  RekeyMessage,
  RemoveMessage,
  ClaimMessage,
} from '../../../protocol/index.ts';
import * as ex from './examples.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];
const REMOVE = Symbol('remove');

/** A deep copy of `value` with the field at `path` replaced (or removed). */
function withField(value: Json, path: Path, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (replacement === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** Every field path in `value`, nested objects and array elements included. */
function fieldPaths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...fieldPaths(item, [...prefix, key])]);
}

function valueAt(value: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key]!, value);
}

/** A value of another JSON type than `value`, distinctive enough to search a message for. */
function wrongTypeFor(value: Json): Json {
  if (typeof value === 'string' || value === null) return 4242424242;
  if (typeof value === 'number') return 'WRONG-TYPE-4242';
  if (typeof value === 'boolean') return 'WRONG-TYPE-true';
  return 'WRONG-TYPE-object';
}

const expectFailure = (schema: v.GenericSchema, input: unknown, field: string) => {
  const result = parse(schema, input);
  expect(result).toMatchObject({ ok: false, field });
  return result.ok ? '' : result.message;
};

interface Case {
  name: string;
  schema: v.GenericSchema;
  examples: Record<string, Json>[];
  /** Fields that may be left out. */
  optional?: string[];
  /** Fields that are unions: valibot cannot tell which option was meant, so the union is named. */
  unions?: string[];
}

const cases: Case[] = [
  { name: 'HelloMessage', schema: HelloMessage, examples: [ex.hello] },
  { name: 'ReadyMessage', schema: ReadyMessage, examples: [ex.ready] },
  { name: 'ChallengeMessage', schema: ChallengeMessage, examples: [ex.challengeTyped, ex.challengeChosen] },
  { name: 'CancelMessage', schema: CancelMessage, examples: [ex.cancel] },
  { name: 'ResultMessage', schema: ResultMessage, examples: [ex.result, ex.resultRejected], optional: ['code'] },
  { name: 'RevokedMessage', schema: RevokedMessage, examples: [ex.revoked] },
  { name: 'NoticeMessage', schema: NoticeMessage, examples: [ex.notice, ex.noticePinFailure] },
  { name: 'PingMessage', schema: PingMessage, examples: [ex.ping] },
  { name: 'ErrorMessage', schema: ErrorMessage, examples: [ex.error, ex.errorForDevice], optional: ['deviceId'] },
  { name: 'UnlockedMessage', schema: UnlockedMessage, examples: [ex.unlocked] },
  { name: 'RekeyedMessage', schema: RekeyedMessage, examples: [ex.rekeyed] },
  { name: 'UnlockMessage', schema: UnlockMessage, examples: [ex.unlock] },
  { name: 'UnlockProofMessage', schema: UnlockProofMessage, examples: [ex.unlockProof] },
  { name: 'RekeyMessage', schema: RekeyMessage, examples: [ex.rekey] },
  { name: 'RemoveMessage', schema: RemoveMessage, examples: [ex.remove] },
  { name: 'ClaimMessage', schema: ClaimMessage, examples: [ex.claim] },
  { name: 'AuthMessage', schema: AuthMessage, examples: [ex.auth] },
  { name: 'DecisionMessage', schema: DecisionMessage, examples: [ex.decisionApprove, ex.decisionDeny] },
  { name: 'PongMessage', schema: PongMessage, examples: [ex.pong] },
  {
    name: 'RelayToDeviceMessage',
    schema: RelayToDeviceMessage,
    examples: [
      ex.hello,
      ex.ready,
      ex.challengeTyped,
      ex.challengeChosen,
      ex.cancel,
      ex.result,
      ex.resultRejected,
      ex.revoked,
      ex.notice,
      ex.ping,
      ex.error,
      ex.errorForDevice,
      ex.unlocked,
      ex.rekeyed,
    ],
    optional: ['code', 'deviceId'],
  },
  {
    name: 'DeviceToRelayMessage',
    schema: DeviceToRelayMessage,
    examples: [ex.auth, ex.decisionApprove, ex.decisionDeny, ex.pong, ex.unlock, ex.unlockProof, ex.rekey, ex.remove, ex.claim],
  },
  { name: 'RedeemPairingBody', schema: RedeemPairingBody, examples: [ex.redeemPairingBody] },
  { name: 'RedeemPairingResponse', schema: RedeemPairingResponse, examples: [ex.redeemPairingResponse] },
  {
    name: 'CreateSigninBody',
    schema: CreateSigninBody,
    examples: [ex.createSigninBody, ex.createSigninBodyPasswordless],
    optional: ['app', 'password'],
  },
  { name: 'CreateSigninResponse', schema: CreateSigninResponse, examples: [ex.createSigninResponse] },
  {
    name: 'SigninStatusResponse',
    schema: SigninStatusResponse,
    examples: [ex.signinStatus, ex.signinStatusWithReason],
    optional: ['reason'],
  },
  { name: 'CompleteSigninResponse', schema: CompleteSigninResponse, examples: [ex.completeSigninResponse] },
  {
    name: 'PolicySchema',
    schema: PolicySchema,
    examples: [ex.policy, { ...DEFAULT_POLICY }],
    unions: ['targets'],
    // Revision 3's field defaults to 20 when a policy saved before it lacks it.
    optional: ['maxUnfamiliarPushesPerHour'],
  },
  { name: 'CreateUserBody', schema: CreateUserBody, examples: [ex.createUserBody], optional: ['password', 'groups'] },
  { name: 'IssueTapBody', schema: IssueTapBody, examples: [ex.issueTapBody] },
];

describe.each(cases)('$name', ({ schema, examples, optional = [], unions = [] }) => {
  it.each(examples.map((example, index) => [index, example] as const))('accepts realistic example %i', (_, example) => {
    expect(parse(schema, example)).toEqual({ ok: true, value: example });
  });

  it('ignores unknown fields and strips them from the output', () => {
    for (const example of examples) {
      const result = parse(schema, { ...example, futureField: 'from version 1.1', __proto__x: 1 });
      expect(result).toEqual({ ok: true, value: example });
    }
  });

  it('rejects each required field when it is missing, naming that field', () => {
    for (const example of examples) {
      for (const path of fieldPaths(example)) {
        const field = path.join('.');
        const isArrayElement = typeof path.at(-1) === 'number';
        if (isArrayElement || optional.includes(field)) continue;
        const message = expectFailure(schema, withField(example, path, REMOVE), field);
        expect(message).toBe(`${field} is required`);
      }
    }
  });

  it('rejects each field of the wrong type, naming it without echoing the value', () => {
    for (const example of examples) {
      for (const path of fieldPaths(example)) {
        const bad = wrongTypeFor(valueAt(example, path));
        const field = unions.find((union) => path.join('.').startsWith(`${union}.`)) ?? path.join('.');
        const message = expectFailure(schema, withField(example, path, bad), field);
        expect(message).not.toContain(String(bad));
        expect(message).not.toContain('WRONG-TYPE');
      }
    }
  });

  it('rejects input that is not an object as a bad body', () => {
    for (const input of [null, 'hello', 42, true]) expectFailure(schema, input, 'body');
  });
});

describe('message unions', () => {
  it('reject an unknown `type`', () => {
    expectFailure(RelayToDeviceMessage, { ...ex.hello, type: 'greeting' }, 'type');
    expectFailure(DeviceToRelayMessage, { ...ex.pong, type: 'ping' }, 'type');
    expectFailure(DeviceToRelayMessage, { ...ex.decisionApprove, type: 'Decision' }, 'type');
  });

  it('reject a message without `type`', () => {
    const { type: _type, ...untyped } = ex.pong;
    expect(expectFailure(DeviceToRelayMessage, untyped, 'type')).toBe('type is required');
  });

  it('do not accept a relay message from the device side or the other way round', () => {
    expectFailure(DeviceToRelayMessage, ex.challengeTyped, 'type');
    expectFailure(RelayToDeviceMessage, ex.decisionApprove, 'type');
  });
});

/** [description, schema, valid example, field path, bad value] */
type Malformed = [string, v.GenericSchema, Json, Path, unknown];
const text = (length: number, char = 'x') => char.repeat(length);
const upnOfLength = (length: number) => `${text(length - '@example.com'.length, 'a')}@example.com`;

const malformed: Malformed[] = [
  // ids: 22 base64url characters
  ['an id one character short', DecisionMessage, ex.decisionApprove, ['requestId'], ex.REQUEST_ID.slice(1)],
  ['an id one character long', DecisionMessage, ex.decisionApprove, ['deviceId'], `${ex.DEVICE_ID}A`],
  ['an id in the standard base64 alphabet', RevokedMessage, ex.revoked, ['deviceId'], `${ex.DEVICE_ID.slice(0, 21)}+`],
  ['an id with padding', CancelMessage, ex.cancel, ['requestId'], `${ex.REQUEST_ID.slice(0, 20)}==`],
  ['an empty id', ReadyMessage, ex.ready, ['accepted', 0], ''],
  ['a pairing token of the wrong shape', RedeemPairingBody, ex.redeemPairingBody, ['token'], 'not-a-token'],
  ['a credential with a bad device id', AuthMessage, ex.auth, ['credentials', 1, 'deviceId'], 'short'],
  // signatures: 64 bytes, keys: 65 bytes
  ['a signature of 63 bytes', DecisionMessage, ex.decisionApprove, ['signature'], ex.SIGNATURE.slice(0, 84)],
  ['a signature of 65 bytes', DecisionMessage, ex.decisionApprove, ['signature'], `${ex.SIGNATURE}Bg`],
  ['a DER signature', AuthMessage, ex.auth, ['credentials', 0, 'signature'], text(96, 'M')],
  ['a signature with padding', RedeemPairingBody, ex.redeemPairingBody, ['signature'], `${ex.SIGNATURE.slice(0, 84)}==`],
  ['a signature in hex', DecisionMessage, ex.decisionApprove, ['signature'], text(128, 'a')],
  ['a compressed public key', RedeemPairingBody, ex.redeemPairingBody, ['publicKey'], ex.PUBLIC_KEY.slice(0, 44)],
  ['a public key with a stray character', RedeemPairingBody, ex.redeemPairingBody, ['publicKey'], `${ex.PUBLIC_KEY.slice(0, 86)}.`],
  // sizes
  ['a deviceName of 65 characters', RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], text(LIMITS.deviceNameChars + 1)],
  ['an empty deviceName', RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], ''],
  ['a deviceName with a newline', RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], 'Chromium\non Linux'],
  ['a deviceName with a carriage return', RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], 'Chromium\ron Linux'],
  ['a upn of 255 characters', CreateSigninBody, ex.createSigninBody, ['upn'], upnOfLength(LIMITS.upnChars + 1)],
  ['an empty upn', CreateSigninBody, ex.createSigninBody, ['upn'], ''],
  ['a upn with a space', CreateUserBody, ex.createUserBody, ['upn'], 'bob @demo.test'],
  ['a challenge upn of 255 characters', ChallengeMessage, ex.challengeTyped, ['account', 'upn'], upnOfLength(LIMITS.upnChars + 1)],
  ['an oversized displayName', CreateUserBody, ex.createUserBody, ['displayName'], text(LIMITS.displayNameChars + 1)],
  [
    'an oversized challenge displayName',
    ChallengeMessage,
    ex.challengeTyped,
    ['account', 'displayName'],
    text(LIMITS.displayNameChars + 1),
  ],
  ['an oversized app name', ChallengeMessage, ex.challengeTyped, ['app', 'name'], text(LIMITS.appNameChars + 1)],
  ['an oversized browser string', ChallengeMessage, ex.challengeTyped, ['context', 'browser'], text(LIMITS.contextChars + 1)],
  ['an oversized location', ChallengeMessage, ex.challengeTyped, ['context', 'location'], text(LIMITS.contextChars + 1)],
  ['an oversized app id', CreateSigninBody, ex.createSigninBody, ['app'], text(LIMITS.appNameChars + 1)],
  ['an oversized password', CreateSigninBody, ex.createSigninBody, ['password'], text(LIMITS.passwordChars + 1)],
  ['an empty password', CreateSigninBody, ex.createSigninBody, ['password'], ''],
  ['a new user password under 8 characters', CreateUserBody, ex.createUserBody, ['password'], 'short'],
  ['an empty group name', CreateUserBody, ex.createUserBody, ['groups', 0], ''],
  ['a nonce under 16 bytes', HelloMessage, ex.hello, ['nonce'], ex.NONCE.slice(0, 21)],
  ['a nonce over 64 characters', HelloMessage, ex.hello, ['nonce'], text(65, 'A')],
  ['no credentials', AuthMessage, ex.auth, ['credentials'], []],
  [
    'more credentials than one socket may carry',
    AuthMessage,
    ex.auth,
    ['credentials'],
    Array.from({ length: LIMITS.maxCredentialsPerSocket + 1 }, (_, i) => ({
      deviceId: `${ex.DEVICE_ID.slice(0, 20)}${String(i).padStart(2, '0')}`,
      signature: ex.SIGNATURE,
    })),
  ],
  [
    'the same deviceId twice',
    AuthMessage,
    ex.auth,
    ['credentials'],
    [
      { deviceId: ex.DEVICE_ID, signature: ex.SIGNATURE },
      { deviceId: ex.DEVICE_ID, signature: ex.SIGNATURE },
    ],
  ],
  ['an unknown unlock', DecisionMessage, ex.decisionApprove, ['unlock'], 'password'],
  ['no unlock', DecisionMessage, ex.decisionApprove, ['unlock'], REMOVE],
  ['a compressed connect key', RedeemPairingBody, ex.redeemPairingBody, ['connectPublicKey'], ex.CONNECT_PUBLIC_KEY.slice(0, 44)],
  ['no connect key', RedeemPairingBody, ex.redeemPairingBody, ['connectPublicKey'], REMOVE],
  ['an unknown notice kind', NoticeMessage, ex.notice, ['kind'], 'authenticator_renamed'],
  ['a notice name with a newline', NoticeMessage, ex.notice, ['name'], 'Firefox\non Windows'],
  // match
  ['two choices', ChallengeMessage, ex.challengeChosen, ['match', 'choices'], ['407', '092']],
  ['four choices', ChallengeMessage, ex.challengeChosen, ['match', 'choices'], ['407', '092', '815', '123']],
  ['repeated choices', ChallengeMessage, ex.challengeChosen, ['match', 'choices'], ['407', '407', '815']],
  ['choices of another length than digits', ChallengeMessage, ex.challengeChosen, ['match', 'choices'], ['4070', '0920', '8150']],
  ['a choice that is not digits', ChallengeMessage, ex.challengeChosen, ['match', 'choices', 1], '0x9'],
  ['choose mode without choices', ChallengeMessage, ex.challengeChosen, ['match', 'choices'], REMOVE],
  ['an unknown match mode', ChallengeMessage, ex.challengeTyped, ['match', 'mode'], 'guess'],
  ['1 digit', ChallengeMessage, ex.challengeTyped, ['match', 'digits'], 1],
  ['7 digits', ChallengeMessage, ex.challengeTyped, ['match', 'digits'], 7],
  ['fractional digits', CreateSigninResponse, ex.createSigninResponse, ['digits'], 2.5],
  ['7 policy digits', PolicySchema, ex.policy, ['match', 'digits'], 7],
  ['1 policy digit', PolicySchema, ex.policy, ['match', 'digits'], 1],
  // decisions
  ['an unknown decision', DecisionMessage, ex.decisionApprove, ['decision'], 'maybe'],
  // Up to 8: the decision on a sign-in by code carries the 8-digit code (section 5).
  ['a number of 9 digits', DecisionMessage, ex.decisionApprove, ['number'], '123456789'],
  ['0 unfamiliar pushes per hour', PolicySchema, ex.policy, ['maxUnfamiliarPushesPerHour'], 0],
  ['a number with letters', DecisionMessage, ex.decisionApprove, ['number'], '0a'],
  ['a number sent as a number', DecisionMessage, ex.decisionApprove, ['number'], 7],
  ['a fractional signedAt', DecisionMessage, ex.decisionApprove, ['signedAt'], ex.NOW + 0.5],
  ['a negative signedAt', DecisionMessage, ex.decisionApprove, ['signedAt'], -1],
  ['signedAt as a string', DecisionMessage, ex.decisionApprove, ['signedAt'], String(ex.NOW)],
  ['an unknown cancel reason', CancelMessage, ex.cancel, ['reason'], 'bored'],
  ['an unknown result outcome', ResultMessage, ex.result, ['outcome'], 'maybe'],
  ['an unknown sign-in status', SigninStatusResponse, ex.signinStatus, ['status'], 'waiting'],
  ['a fractional ping time', PingMessage, ex.ping, ['t'], 1.5],
  // policy and admin bodies
  ['a request lifetime under 30 s', PolicySchema, ex.policy, ['requestTtlSeconds'], 29],
  ['a request lifetime over 600 s', PolicySchema, ex.policy, ['requestTtlSeconds'], 601],
  ['an unknown policy mode', PolicySchema, ex.policy, ['mode'], 'sometimes'],
  ['targets that are neither "all" nor groups', PolicySchema, ex.policy, ['targets'], 'everyone'],
  ['a lockout after 0 failures', PolicySchema, ex.policy, ['lockoutAfterFailures'], 0],
  ['0 pushes per 10 minutes', PolicySchema, ex.policy, ['maxPushesPer10Min'], 0],
  ['enabled as a string', PolicySchema, ex.policy, ['enabled'], 'true'],
  ['a TAP lifetime under 10 minutes', IssueTapBody, ex.issueTapBody, ['lifetimeMinutes'], 9],
  ['a TAP lifetime over 30 days', IssueTapBody, ex.issueTapBody, ['lifetimeMinutes'], 43_201],
];

describe('message schemas', () => {
  it.each(malformed)('reject %s', (_, schema, example, path, bad) => {
    expect(parse(schema, example).ok).toBe(true);
    expectFailure(schema, withField(example, path, bad), path.join('.'));
  });

  it('accept fields exactly at their limits', () => {
    const atLimits: [v.GenericSchema, Json, Path, unknown][] = [
      [RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], text(LIMITS.deviceNameChars)],
      [CreateSigninBody, ex.createSigninBody, ['upn'], upnOfLength(LIMITS.upnChars)],
      [ChallengeMessage, ex.challengeTyped, ['context', 'browser'], text(LIMITS.contextChars)],
      [ChallengeMessage, ex.challengeTyped, ['match', 'digits'], 6],
      [PolicySchema, ex.policy, ['match', 'digits'], 2],
      [PolicySchema, ex.policy, ['requestTtlSeconds'], 30],
      [PolicySchema, ex.policy, ['requestTtlSeconds'], 600],
      [IssueTapBody, ex.issueTapBody, ['lifetimeMinutes'], 43_200],
      [HelloMessage, ex.hello, ['nonce'], text(64, 'A')],
      [DecisionMessage, ex.decisionApprove, ['number'], '000000'],
    ];
    for (const [schema, example, path, value] of atLimits) {
      expect(parse(schema, withField(example, path, value)).ok).toBe(true);
    }
  });

  it('fit a challenge with every field at its limit into one frame', () => {
    const largest = {
      ...ex.challengeChosen,
      account: { upn: upnOfLength(LIMITS.upnChars), displayName: text(LIMITS.displayNameChars) },
      app: { name: text(LIMITS.appNameChars) },
      context: Object.fromEntries(['ip', 'location', 'browser', 'os'].map((key) => [key, text(LIMITS.contextChars, 'é')])),
      match: { mode: 'choose', digits: 6, choices: ['000001', '999999', '123456'] },
    };
    expect(parse(ChallengeMessage, largest).ok).toBe(true);
    expect(new TextEncoder().encode(JSON.stringify(largest)).length).toBeLessThan(LIMITS.frameBytes);
  });

  it('accept both match modes and a challenge without app or location', () => {
    const chosen = parse(RelayToDeviceMessage, ex.challengeChosen);
    expect(chosen).toMatchObject({ ok: true, value: { app: null, context: { location: null }, match: { mode: 'choose' } } });
    expect(parse(RelayToDeviceMessage, ex.challengeTyped)).toMatchObject({ ok: true, value: { match: { mode: 'type', digits: 2 } } });
  });

  it('keep the right number out of a typed-mode challenge', () => {
    const result = parse(ChallengeMessage, { ...ex.challengeTyped, match: { mode: 'type', digits: 2, number: '07' } });
    expect(result).toEqual({ ok: true, value: ex.challengeTyped });
  });

  it('have a DEFAULT_POLICY that is itself valid and matches section 6', () => {
    expect(parse(PolicySchema, DEFAULT_POLICY).ok).toBe(true);
    expect(DEFAULT_POLICY).toEqual({
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
    });
  });
});

describe('parse()', () => {
  it('returns the parsed value on success', () => {
    expect(parse(PongMessage, ex.pong)).toEqual({ ok: true, value: ex.pong });
  });

  it('names a nested field by its dot path', () => {
    expectFailure(AuthMessage, withField(ex.auth, ['credentials', 1, 'signature'], 'nope'), 'credentials.1.signature');
    expectFailure(ChallengeMessage, withField(ex.challengeTyped, ['context', 'ip'], 7), 'context.ip');
  });

  it('says a missing field is required', () => {
    const result = parse(RedeemPairingBody, withField(ex.redeemPairingBody, ['token'], REMOVE));
    expect(result).toEqual({ ok: false, field: 'token', message: 'token is required' });
  });

  it('never includes the bad value in the message', () => {
    const secrets: [v.GenericSchema, Json, Path, unknown][] = [
      [CreateSigninBody, ex.createSigninBody, ['password'], text(LIMITS.passwordChars + 1, 's')],
      [CreateSigninBody, ex.createSigninBody, ['upn'], 'hunter2 is my password'],
      [DecisionMessage, ex.decisionApprove, ['number'], 'SECRET-NUMBER'],
      [DecisionMessage, ex.decisionApprove, ['signedAt'], 1234.5678],
      [DecisionMessage, ex.decisionApprove, ['decision'], 'SECRET-DECISION'],
      [RedeemPairingBody, ex.redeemPairingBody, ['token'], 'SECRET-TOKEN-VALUE'],
      [RedeemPairingBody, ex.redeemPairingBody, ['deviceName'], 'SECRET\nNAME'],
      [ChallengeMessage, ex.challengeChosen, ['match', 'choices'], ['111', '111', '222']],
      [CreateUserBody, ex.createUserBody, ['password'], 'pass7ch'],
      [DeviceToRelayMessage, ex.pong, ['type'], 'SECRET-TYPE'],
    ];
    for (const [schema, example, path, bad] of secrets) {
      const message = expectFailure(schema, withField(example, path, bad), path.join('.'));
      const shown = Array.isArray(bad) ? bad : [bad];
      for (const value of shown) expect(message).not.toContain(String(value));
      expect(message.startsWith(`${path.join('.')} is invalid`)).toBe(true);
    }
  });

  it('names the whole body when the input is not an object', () => {
    expect(parse(PongMessage, undefined)).toMatchObject({ ok: false, field: 'body' });
    expect(parse(PongMessage, 'pong')).toMatchObject({ ok: false, field: 'body' });
  });
});
