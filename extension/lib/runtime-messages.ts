import * as v from 'valibot';
import {
  DecisionMessage,
  DecisionSchema,
  IdSchema,
  MatchNumberSchema,
  SigninCodeSchema,
  OprfElementSchema,
  RedeemPairingBody,
  RekeyMessage,
  RemoveMessage,
  UnlockProofMessage,
} from '../../protocol/index.ts';
import type { PinWrappedKey } from '../../protocol/pin-wrap.ts';
import type { ConnectionState, RedeemAnswer } from '../../protocol/device/index.ts';
import type { BiometricStatus } from './webauthn-unlock.ts';
import type { AccountRecord, HistoryEntry, LockRecord, NoticeEntry, PendingChallenge, PrefsRecord } from './db.ts';
import type { WrappedSecret } from './key-wrap.ts';

/**
 * Messages between the extension's pages (popup, approval window) and the service worker.
 * `runtime.onMessage` is a trust boundary like a WebSocket: every request is validated here.
 */

const Nonce = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,128}$/));
const Wrapped = v.object({
  iv: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/)),
  ciphertext: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{20,200}$/)),
});
/** base64url of 32 bytes (a WebAuthn PRF output or its salt): 43 characters, no padding. */
const Bytes32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/));
const CredentialId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,1366}$/));

export const RuntimeRequest = v.variant('type', [
  v.object({ type: v.literal('getState') }),
  v.object({ type: v.literal('getRequest'), requestId: IdSchema }),
  /**
   * An approve or a refusal. An approve is either `signed` by the page that unlocked the approval
   * key with the PIN (section 4a; the proof went out already), or unlocked here: by a WebAuthn
   * `prf` output, or by the wrapping key remembered for 5 minutes. Deny and report are signed here
   * with the connect key.
   */
  v.object({
    type: v.literal('decide'),
    requestId: IdSchema,
    decision: DecisionSchema,
    number: MatchNumberSchema,
    signed: v.optional(DecisionMessage),
    /** Biometric unlock: the WebAuthn PRF output for this one approve, never stored. */
    prf: v.optional(Bytes32),
    /** false forgets every remembered PIN key; a key to remember arrives on REMEMBER_CHANNEL. */
    remember: v.boolean(),
  }),
  // ---- section 4a: the pages do the OPRF, the worker carries the frames on its sockets ----
  /** Sends `unlock` on the account's socket; answers the evaluation, attempts left and the socket's nonce. */
  v.object({ type: v.literal('pinUnlock'), deviceId: IdSchema, blinded: OprfElementSchema }),
  /** The nonce of the account's authenticated socket (a `rekey` is signed over it). */
  v.object({ type: v.literal('pinNonce'), deviceId: IdSchema }),
  v.object({ type: v.literal('pinRekey'), nonce: Nonce, frame: RekeyMessage }),
  /** Sends an `unlock_proof` only if the socket with `nonce` is still open. */
  v.object({ type: v.literal('pinProof'), nonce: Nonce, frame: UnlockProofMessage }),
  /** Stores a new PIN wrap of an account (pairing, PIN change, upgrade) before it is confirmed. */
  v.object({ type: v.literal('pinStore'), deviceId: IdSchema, pinWrap: Wrapped }),
  /** The new wrap was confirmed (unlock, unwrap, proof): older copies go (section 4a). */
  v.object({ type: v.literal('pinConfirmed'), deviceId: IdSchema }),
  /** Which relays holding accounts are not reachable now (a PIN change needs them all). */
  v.object({ type: v.literal('pinReachability') }),
  /** Posts a pairing offer's redeem body to its relay (section 3) and answers the relay's checked reply. */
  v.object({ type: v.literal('redeemPairing'), relayOrigin: v.pipe(v.string(), v.maxLength(2048)), body: RedeemPairingBody }),
  /** A page stored a new (unconfirmed) account: connect it so its wrap can be confirmed. */
  v.object({ type: v.literal('accountAdded'), deviceId: IdSchema }),
  /** A pairing whose wrap could not be confirmed: the new account goes, the older entry stays. */
  v.object({ type: v.literal('pairingFailed'), deviceId: IdSchema }),
  v.object({ type: v.literal('setPrefs'), autoOpen: v.optional(v.boolean()), rememberPin: v.optional(v.boolean()) }),
  v.object({ type: v.literal('forgetPin') }),
  v.object({ type: v.literal('openApproval'), requestId: v.optional(IdSchema) }),
  /** The approval window asks to close itself after an outcome: yes unless a request waits. */
  v.object({ type: v.literal('closeApproval'), windowId: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  /**
   * Section 5: a sign-in code typed in the popup. Claimed with `deviceId`'s account, or with each
   * usable account in turn until one's relay answers with the request; its approval window opens.
   */
  v.object({ type: v.literal('claimCode'), code: SigninCodeSchema, deviceId: v.optional(IdSchema) }),
  v.object({ type: v.literal('openSecurityInfo'), deviceId: IdSchema }),
  /** Forgets the account in this extension only (the relay keeps listing it until removed there). */
  v.object({ type: v.literal('removeAccount'), deviceId: IdSchema }),
  /** Section 4 `remove`, signed by the page over `nonce` after a PIN unlock: sent only on that socket. */
  v.object({ type: v.literal('removeFromRelay'), nonce: Nonce, frame: RemoveMessage }),
  /** Section 4 `remove` unlocked by WebAuthn: the PRF output of this one removal, never stored. */
  v.object({ type: v.literal('removeWithBiometric'), deviceId: IdSchema, prf: Bytes32 }),
  /** Biometric unlock (lib/webauthn-unlock.ts): the PIN once, and the PRF output of the credential. */
  v.object({ type: v.literal('getBiometric') }),
  /** The page unlocked each account with the PIN and wrapped it under the PRF key: the worker stores what it got. */
  v.object({
    type: v.literal('enableBiometric'),
    credentialId: CredentialId,
    prfSalt: Bytes32,
    check: Wrapped,
    wrappedKeys: v.pipe(v.record(IdSchema, Wrapped), v.maxEntries(256)),
  }),
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
  /** Paired under revision 2: "Approve once to finish the security upgrade". */
  needsUpgrade: boolean;
  /** 10 wrong PINs: the PIN no longer approves for this account; it must be added again. */
  pinLocked: boolean;
}

/** What a page needs to unlock one account with the PIN (all of it public or wrapped). */
export interface PinAccount {
  deviceId: string;
  relayOrigin: string;
  upn: string;
  publicKey: string;
  pinWrap: PinWrappedKey | null;
  /** Revision 2's wrap and lock, while the account still needs its upgrade. */
  legacy: { wrappedKey: WrappedSecret; lock: Pick<LockRecord, 'salt' | 'iterations'> } | null;
  pinLocked: boolean;
}

/** One line of the popup's recent activity: a decided or ended sign-in request, or a relay notice. */
export type ActivityItem = { type: 'signin'; entry: HistoryEntry } | { type: 'notice'; entry: NoticeEntry };

export interface AppState {
  /** Whether any account holds a PIN wrap (then a new pairing checks the PIN against one; else the person chooses it). */
  hasPin: boolean;
  /** Every active account, as the PIN pages need them. */
  pinAccounts: PinAccount[];
  prefs: Omit<PrefsRecord, 'key'>;
  accounts: AccountView[];
  pending: PendingChallenge[];
  /** Newest first. */
  activity: ActivityItem[];
  pinRemembered: boolean;
}

/** `attemptsLeft`: what the relay said after a wrong PIN. `relays`: the relays a PIN change could not reach. */
export type Failure<C extends string = string> = { ok: false; code: C; retryAt?: number; attemptsLeft?: number | null; relays?: string[] };

/**
 * A claimed code: the request it opened, or `not_found` (no account here has it waiting),
 * `rate_limited` (the relay refuses more unknown codes from this authenticator for now),
 * `expired`, `offline` (no relay answered), `no_account`; `relays` names relays that did not answer.
 */
export type ClaimResult = { ok: true; requestId: string; upn: string } | Failure;

export type DecideResult = { ok: true; outcome: HistoryEntry['outcome'] } | Failure;

export interface ResponseMap {
  getState: AppState;
  getRequest: {
    pending: PendingChallenge | null;
    history: HistoryEntry | null;
    pinRemembered: boolean;
    rememberByDefault: boolean;
    /** The account for the PIN flow (null when the request's account is gone or retired). */
    pinAccount: PinAccount | null;
    /** The account this request is for, as stored at pairing (not as the challenge names it). */
    account: Pick<AccountRecord, 'upn' | 'displayName' | 'deviceName'> | null;
    /** Set when biometric unlock covers this request's account: what the page asks the authenticator for. */
    biometric?: { credentialId: string; prfSalt: string } | null;
  };
  decide: DecideResult;
  pinUnlock: { ok: true; evaluated: string; attemptsLeft: number | null; nonce: string } | Failure;
  pinNonce: { ok: true; nonce: string } | Failure;
  pinRekey: { ok: true; evaluated: string; attemptsLeft: number | null; nonce: string } | Failure;
  pinProof: { ok: boolean };
  pinStore: { ok: true } | Failure;
  pinConfirmed: { ok: true } | Failure;
  pinReachability: { unreachable: string[] };
  redeemPairing: RedeemAnswer;
  accountAdded: { ok: true } | Failure;
  pairingFailed: { ok: true };
  setPrefs: { ok: true };
  forgetPin: { ok: true };
  openApproval: { ok: true };
  closeApproval: { close: boolean };
  claimCode: ClaimResult;
  openSecurityInfo: { ok: true } | Failure;
  removeAccount: { ok: true } | Failure;
  removeFromRelay: { ok: true } | Failure;
  removeWithBiometric: { ok: true } | Failure;
  getBiometric: BiometricStatus;
  enableBiometric: { ok: true; status: BiometricStatus } | Failure;
  disableBiometric: { ok: true };
}

export type ResponseFor<T extends RuntimeRequest> = ResponseMap[T['type']];

/** Sent by the worker to every open page when something they show changed. */
export const CHANGED_BROADCAST = { type: 'countersign:changed' } as const;
