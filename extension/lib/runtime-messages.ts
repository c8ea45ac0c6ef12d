import * as v from 'valibot';
import { DecisionSchema, DeviceNameSchema, IdSchema, MatchNumberSchema } from '../../protocol/index.ts';
import type { ConnectionState } from '../../protocol/device/index.ts';
import type { BiometricStatus } from './webauthn-unlock.ts';
import type { AccountRecord, HistoryEntry, NoticeEntry, PendingChallenge, PrefsRecord } from './db.ts';

/**
 * Messages between the extension's pages (popup, approval window) and the service worker.
 * `runtime.onMessage` is a trust boundary like a WebSocket: every request is validated here.
 */

const Pin = v.pipe(v.string(), v.maxLength(32));
/** base64url of 32 bytes (a WebAuthn PRF output or its salt): 43 characters, no padding. */
const Bytes32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/));
const CredentialId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,1366}$/));

export const RuntimeRequest = v.variant('type', [
  v.object({ type: v.literal('getState') }),
  v.object({ type: v.literal('getRequest'), requestId: IdSchema }),
  v.object({ type: v.literal('setupPin'), pin: Pin }),
  v.object({ type: v.literal('changePin'), oldPin: Pin, newPin: Pin }),
  v.object({
    type: v.literal('pair'),
    link: v.pipe(v.string(), v.maxLength(2048)),
    pin: v.optional(Pin),
    /** The name the person gave this authenticator ("Work laptop"); the browser and OS when absent. */
    deviceName: v.optional(DeviceNameSchema),
  }),
  /** `pin` counts only for an approve; deny and report are signed without it. */
  v.object({
    type: v.literal('decide'),
    requestId: IdSchema,
    decision: DecisionSchema,
    number: MatchNumberSchema,
    pin: v.optional(Pin),
    /** Biometric unlock: the WebAuthn PRF output for this one approve, never stored. */
    prf: v.optional(Bytes32),
    remember: v.boolean(),
  }),
  v.object({ type: v.literal('setPrefs'), autoOpen: v.optional(v.boolean()), rememberPin: v.optional(v.boolean()) }),
  v.object({ type: v.literal('forgetPin') }),
  v.object({ type: v.literal('openApproval'), requestId: v.optional(IdSchema) }),
  v.object({ type: v.literal('openSecurityInfo'), deviceId: IdSchema }),
  /** Removes the account from this extension only (the relay keeps listing it until removed there). */
  v.object({ type: v.literal('removeAccount'), deviceId: IdSchema }),
  /** Biometric unlock (lib/webauthn-unlock.ts): the PIN once, and the PRF output of the credential. */
  v.object({ type: v.literal('getBiometric') }),
  v.object({ type: v.literal('enableBiometric'), pin: v.optional(Pin), credentialId: CredentialId, prfSalt: Bytes32, prf: Bytes32 }),
  v.object({ type: v.literal('disableBiometric') }),
]);
export type RuntimeRequest = v.InferOutput<typeof RuntimeRequest>;

export interface AccountView {
  deviceId: string;
  upn: string;
  displayName: string;
  relayOrigin: string;
  relayName: string;
  deviceName: string;
  /** `needs_re_add`: paired before revision 2; its keys were dropped and it no longer connects. */
  status: AccountRecord['status'];
  connection: ConnectionState;
  authError: string | null;
}

/** One line of the popup's recent activity: a decided or ended sign-in request, or a relay notice. */
export type ActivityItem = { type: 'signin'; entry: HistoryEntry } | { type: 'notice'; entry: NoticeEntry };

export interface AppState {
  hasPin: boolean;
  prefs: Omit<PrefsRecord, 'key'>;
  accounts: AccountView[];
  pending: PendingChallenge[];
  /** Newest first. */
  activity: ActivityItem[];
  pinRemembered: boolean;
  pinRetryAt: number | null;
}

export type Failure<C extends string = string> = { ok: false; code: C; retryAt?: number };

export type DecideResult = { ok: true; outcome: HistoryEntry['outcome'] } | Failure;

export interface ResponseMap {
  getState: AppState;
  getRequest: {
    pending: PendingChallenge | null;
    history: HistoryEntry | null;
    pinRemembered: boolean;
    pinRetryAt: number | null;
    rememberByDefault: boolean;
    /** The account this request is for, as stored at pairing (not as the challenge names it). */
    account: Pick<AccountRecord, 'upn' | 'displayName' | 'deviceName'> | null;
    /** Set when biometric unlock covers this request's account: what the page asks the authenticator for. */
    biometric?: { credentialId: string; prfSalt: string } | null;
  };
  setupPin: { ok: true } | Failure;
  changePin: { ok: true } | Failure;
  pair: { ok: true; account: Pick<AccountRecord, 'upn' | 'displayName' | 'relayOrigin' | 'deviceName'> } | Failure;
  decide: DecideResult;
  setPrefs: { ok: true };
  forgetPin: { ok: true };
  openApproval: { ok: true };
  openSecurityInfo: { ok: true } | Failure;
  removeAccount: { ok: true } | Failure;
  getBiometric: BiometricStatus;
  enableBiometric: { ok: true; status: BiometricStatus } | Failure;
  disableBiometric: { ok: true };
}

export type ResponseFor<T extends RuntimeRequest> = ResponseMap[T['type']];

/** Sent by the worker to every open page when something they show changed. */
export const CHANGED_BROADCAST = { type: 'countersign:changed' } as const;
