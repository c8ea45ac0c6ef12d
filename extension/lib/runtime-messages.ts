import * as v from 'valibot';
import { DecisionSchema, IdSchema, MatchNumberSchema } from '../../protocol/index.ts';
import type { AccountRecord, HistoryEntry, PendingChallenge, PrefsRecord } from './db.ts';
import type { ConnectionState } from './relay-socket.ts';

/**
 * Messages between the extension's pages (popup, approval window) and the service worker.
 * `runtime.onMessage` is a trust boundary like a WebSocket: every request is validated here.
 */

const Pin = v.pipe(v.string(), v.maxLength(32));

export const RuntimeRequest = v.variant('type', [
  v.object({ type: v.literal('getState') }),
  v.object({ type: v.literal('getRequest'), requestId: IdSchema }),
  v.object({ type: v.literal('setupPin'), pin: Pin }),
  v.object({ type: v.literal('changePin'), oldPin: Pin, newPin: Pin }),
  v.object({ type: v.literal('pair'), link: v.pipe(v.string(), v.maxLength(2048)), pin: v.optional(Pin) }),
  v.object({
    type: v.literal('decide'),
    requestId: IdSchema,
    decision: DecisionSchema,
    number: MatchNumberSchema,
    pin: v.optional(Pin),
    remember: v.boolean(),
  }),
  v.object({ type: v.literal('setPrefs'), autoOpen: v.optional(v.boolean()), rememberPin: v.optional(v.boolean()) }),
  v.object({ type: v.literal('forgetPin') }),
  v.object({ type: v.literal('openApproval'), requestId: v.optional(IdSchema) }),
]);
export type RuntimeRequest = v.InferOutput<typeof RuntimeRequest>;

export interface AccountView {
  deviceId: string;
  upn: string;
  displayName: string;
  relayOrigin: string;
  relayName: string;
  deviceName: string;
  connection: ConnectionState;
  authError: string | null;
}

export interface AppState {
  hasPin: boolean;
  prefs: Omit<PrefsRecord, 'key'>;
  accounts: AccountView[];
  pending: PendingChallenge[];
  pinRemembered: boolean;
  pinRetryAt: number | null;
}

export type Failure<C extends string = string> = { ok: false; code: C; retryAt?: number };

export type DecideResult = { ok: true; outcome: HistoryEntry['outcome'] } | Failure;

export interface ResponseMap {
  getState: AppState;
  getRequest: { pending: PendingChallenge | null; history: HistoryEntry | null; pinRemembered: boolean; pinRetryAt: number | null; rememberByDefault: boolean };
  setupPin: { ok: true } | Failure;
  changePin: { ok: true } | Failure;
  pair: { ok: true; account: Pick<AccountRecord, 'upn' | 'displayName' | 'relayOrigin' | 'deviceName'> } | Failure;
  decide: DecideResult;
  setPrefs: { ok: true };
  forgetPin: { ok: true };
  openApproval: { ok: true };
}

export type ResponseFor<T extends RuntimeRequest> = ResponseMap[T['type']];

/** Sent by the worker to every open page when something they show changed. */
export const CHANGED_BROADCAST = { type: 'countersign:changed' } as const;
