import { sql, type Expression, type ExpressionBuilder, type Kysely } from 'kysely';
import { preparedQuery } from './prepared-query.ts';
import type { Database, NewSigninRow, SigninRow } from './schema.ts';
import { FAMILIAR_CLIENT_PREFIX } from './familiar-browsers-store.ts';
import { pinUsable } from './pin-store.ts';

/** What the relay does with a request once it is settled needs only these (fewer columns, cheaper rows). */
const SETTLED_COLUMNS = ['id', 'user_id', 'upn', 'ip', 'client_key', 'app_name', 'status', 'reason', 'created_at', 'match_mode'] as const;
export type SettledRequest = Pick<SigninRow, (typeof SETTLED_COLUMNS)[number]>;

/**
 * How many push requests of one user unfamiliar clients may have pending at once, together
 * (docs/protocol.md section 5). A familiar browser's request and a sign-in by code take no slot:
 * they are limited to one per client only.
 */
export const MAX_PENDING_PER_USER = 3;

/** What opening a push request did. */
export type OpenedRequest =
  /** Inserted; `superseded` are the same client's older pending requests it replaced (their devices get `cancel`). */
  | { opened: true; superseded: SigninRow[] }
  /** Not inserted: unfamiliar clients already hold the user's MAX_PENDING_PER_USER slots. */
  | { opened: false; pending: Pick<SigninRow, 'id' | 'client_key' | 'expires_at'>[] };

/** Thrown inside the slow path's transaction to undo its supersede when a concurrent sign-in took the slot. */
class SlotTaken extends Error {}

/**
 * `status = 'pending'` spelled as in the partial indexes of pending requests (migration 0005), with
 * the literal: SQLite uses a partial index only when the query's condition names its value, not a
 * bound parameter. So the expiry sweep reads the pending requests, not the whole sign-in log.
 */
const IS_PENDING = sql<boolean>`status = 'pending'`;

/** Every column, in the order the prepared insert binds them. */
const SIGNIN_COLUMNS = [
  'id',
  'user_id',
  'upn',
  'app_id',
  'app_name',
  'ip',
  'location',
  'browser',
  'os',
  'method',
  'number',
  'match_mode',
  'digits',
  'choices',
  'browser_token_hash',
  'status',
  'reason',
  'device_id',
  'created_at',
  'expires_at',
  'decided_at',
  'completed_at',
  'unlock',
  'client_key',
  'pending_slot',
] as const;
const everyColumnListed: Exclude<keyof SigninRow, (typeof SIGNIN_COLUMNS)[number]> extends never ? true : never = true;
void everyColumnListed;

type Decision = 'approve' | 'deny' | 'report';
type Unlock = 'pin' | 'webauthn' | 'none';

/** Sign-in requests double as the sign-in log: password and TAP sign-ins are stored already decided. */
export class SigninsStore {
  // The statements every sign-in runs, compiled once (store/prepared-query.ts).
  private readonly insertPending;
  private readonly selectStatus;
  private readonly applyApproval;
  private readonly applyPinApproval;
  private readonly applyRefusal;

  constructor(private readonly db: Kysely<Database>) {
    this.insertPending = preparedQuery(
      db,
      (...values: unknown[]) =>
        insertIntoFreeSlot(db, Object.fromEntries(SIGNIN_COLUMNS.map((column, i) => [column, values[i]])) as NewSigninRow),
      SIGNIN_COLUMNS.length,
    );
    this.selectStatus = preparedQuery(db, (id: string) =>
      db.selectFrom('signin_requests').select(['id', 'status', 'reason', 'browser_token_hash', 'expires_at']).where('id', '=', id),
    );
    this.applyApproval = preparedQuery(
      db,
      (requestId: string, deviceId: string, userId: string, number: string, unlock: string, now: number) =>
        decisionUpdate(db, { requestId, deviceId, userId, unlock, now }, approvalOutcome(number)),
    );
    this.applyPinApproval = preparedQuery(
      db,
      (requestId: string, deviceId: string, userId: string, number: string, unlock: string, now: number, madeBy: number) =>
        decisionUpdate(db, { requestId, deviceId, userId, unlock, now }, approvalOutcome(number)).where(pinUsable(deviceId, madeBy)),
    );
    this.applyRefusal = preparedQuery(
      db,
      (requestId: string, deviceId: string, userId: string, status: string, unlock: string, now: number) =>
        decisionUpdate(db, { requestId, deviceId, userId, unlock, now }, () => ({ status, reason: status })),
    );
  }

  byId(id: string): Promise<SigninRow | undefined> {
    return this.db.selectFrom('signin_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Only what a waiting browser needs: the status, and the token digest to check its token against. */
  async statusById(id: string) {
    return (await this.selectStatus(id)).rows[0];
  }

  async insert(row: NewSigninRow): Promise<void> {
    await this.db.insertInto('signin_requests').values(row).execute();
  }

  /**
   * Opens a push request. The database keeps the rules (migration 0005): one pending request per
   * user and client, and at most MAX_PENDING_PER_USER per user, each holding one of the user's
   * slots. So the common case, nothing pending, is a single insert into slot 0; only when that
   * meets a pending request does the transaction run that supersedes the same client's older one
   * (taking its slot) or takes a free slot, again if a concurrent sign-in slipped in between.
   */
  async openRequest(row: NewSigninRow & { user_id: string }, needsSlot = true): Promise<OpenedRequest> {
    const firstSlot = needsSlot ? 0 : null;
    const inserted = await this.insertPending(
      ...SIGNIN_COLUMNS.map((column) => (column === 'pending_slot' ? firstSlot : (row[column] ?? null))),
    );
    if (Number(inserted.numAffectedRows ?? 0) === 1) return { opened: true, superseded: [] };
    for (let attempt = 0; attempt < 8; attempt += 1) {
      try {
        return await this.db.transaction().execute(async (trx): Promise<OpenedRequest> => {
          const pending = await trx
            .selectFrom('signin_requests')
            .select(['id', 'client_key', 'pending_slot', 'expires_at'])
            .where('user_id', '=', row.user_id)
            .where(IS_PENDING)
            .execute();
          const sameClient = pending.find((request) => request.client_key === row.client_key);
          let older: SigninRow[] = [];
          let slot: number | undefined;
          if (sameClient) {
            older = await trx
              .updateTable('signin_requests')
              .set({ status: 'cancelled', reason: 'superseded', decided_at: row.created_at })
              .where('id', '=', sameClient.id)
              .where(IS_PENDING)
              .returningAll()
              .execute();
            slot = sameClient.pending_slot ?? undefined;
          }
          const taken = new Set(pending.filter((request) => request !== sameClient).map((request) => request.pending_slot));
          if (needsSlot) {
            slot ??= Array.from({ length: MAX_PENDING_PER_USER }, (_, index) => index).find((index) => !taken.has(index));
            if (slot === undefined) return { opened: false, pending: pending.filter((request) => request.pending_slot !== null) };
          }
          const inserted = await insertIntoFreeSlot(trx, { ...row, pending_slot: needsSlot ? slot! : null }).executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new SlotTaken();
          return { opened: true, superseded: older };
        });
      } catch (error) {
        if (!(error instanceof SlotTaken)) throw error;
      }
    }
    throw new Error('could not open a sign-in request: other requests for the user kept arriving');
  }

  /**
   * When the oldest push request counted since `since` (of this client, or of every client when
   * `clientKey` is null) was made: the push budget frees up 10 minutes after it. Rare path only.
   */
  async oldestPushSince(
    userId: string,
    which: { clientKey?: string; unfamiliarOnly?: boolean; pushesOnly?: boolean },
    since: number,
  ): Promise<number | undefined> {
    // The same rows as the caps' counts (users-store.ts, pushTargetQuery).
    let query = this.db
      .selectFrom('signin_requests')
      .where('user_id', '=', userId)
      .where('method', 'in', ['passwordless', 'push_after_password'])
      .where('created_at', '>=', since)
      .where('number', 'is not', null);
    if (which.clientKey !== undefined) query = query.where('client_key', '=', which.clientKey);
    if (which.unfamiliarOnly) query = query.where('client_key', 'not like', `${FAMILIAR_CLIENT_PREFIX}%`);
    if (which.pushesOnly) query = query.where('match_mode', '<>', 'code');
    const row = await query.select((eb) => eb.fn.min<number | string>('created_at').as('oldest')).executeTakeFirst();
    return row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest);
  }

  /**
   * Settles a pending request. The `status = 'pending'` condition makes the first decision win,
   * even across relay instances; returns undefined when it was already settled.
   */
  settle(id: string, outcome: { status: string; reason: string | null; deviceId: string | null }, now: number) {
    return this.db
      .updateTable('signin_requests')
      .set({ status: outcome.status, reason: outcome.reason, device_id: outcome.deviceId, decided_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * A device's decision in one statement: it lands only on a pending, unexpired push request of
   * the device's own user while the device still exists (a revocation racing the decision wins),
   * and the first decision wins across instances. An approval whose number differs lands as
   * `wrong_number`. Returns undefined when nothing was settled; the caller then reads why.
   * `user_failures` tells whether the user's failure count needs resetting, without another read.
   * `unlock` (how the device released its key) is kept on the row: completion builds `amr` from it.
   * An approval unlocked with the PIN lands only while the device's PIN is not locked and none of
   * its unlock attempts made at or before `pinAttemptsDueBy` is still open (such an attempt is a
   * failure that may lock it: docs/protocol.md section 4a), so the check costs no statement of its own.
   */
  async applyDecision(input: {
    requestId: string;
    deviceId: string;
    userId: string;
    decision: Decision;
    number: string;
    unlock: Unlock;
    now: number;
    pinAttemptsDueBy: number;
  }) {
    const { requestId, deviceId, userId, decision, number, unlock, now, pinAttemptsDueBy } = input;
    const applied =
      decision !== 'approve'
        ? await this.applyRefusal(requestId, deviceId, userId, decision === 'deny' ? 'denied' : 'reported', unlock, now)
        : unlock === 'pin'
          ? await this.applyPinApproval(requestId, deviceId, userId, number, unlock, now, pinAttemptsDueBy)
          : await this.applyApproval(requestId, deviceId, userId, number, unlock, now);
    return applied.rows[0];
  }

  /** Settles every pending request whose time ran out; returns those it settled. */
  expireDue(now: number): Promise<SigninRow[]> {
    return this.db
      .updateTable('signin_requests')
      .set({ status: 'expired', reason: 'expired', decided_at: now })
      .where(IS_PENDING)
      .where('expires_at', '<=', now)
      .returningAll()
      .execute();
  }

  /** Pending pushes of these users (a sign-in by code goes only to the device that claims it). */
  pendingForUsers(userIds: readonly string[], now: number): Promise<SigninRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('signin_requests')
      .selectAll()
      .where('user_id', 'in', userIds)
      .where(IS_PENDING)
      .where('expires_at', '>', now)
      .where('match_mode', '<>', 'code')
      .orderBy('created_at')
      .execute();
  }

  /** The pending, unexpired sign-in by code of this user with this code, if any (docs/protocol.md section 5). */
  pendingCode(userId: string, code: string, now: number): Promise<SigninRow | undefined> {
    return this.db
      .selectFrom('signin_requests')
      .selectAll()
      .where('user_id', '=', userId)
      .where(IS_PENDING)
      .where('expires_at', '>', now)
      .where('match_mode', '=', 'code')
      .where('number', '=', code)
      .executeTakeFirst();
  }

  /** Turns an approved request into a session once; undefined when it was already used. */
  markCompleted(id: string, now: number) {
    return this.db
      .updateTable('signin_requests')
      .set({ completed_at: now })
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .where('completed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  list(filter: { upn?: string; status?: string; since?: number; until?: number; limit: number }): Promise<SigninRow[]> {
    let query = this.db.selectFrom('signin_requests').selectAll();
    if (filter.upn) query = query.where(sql<string>`lower(upn)`, '=', filter.upn.toLowerCase());
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
    return query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
  }
}

/**
 * Inserts the request unless its slot is taken or its client already has a pending request for
 * the user (either partial unique index of migration 0005): then it inserts nothing.
 */
function insertIntoFreeSlot(db: Kysely<Database>, row: NewSigninRow) {
  return db
    .insertInto('signin_requests')
    .values(row)
    .onConflict((oc) => oc.doNothing());
}

/** An approval lands as `approved` when its number is the request's, else as `wrong_number`. */
function approvalOutcome(number: string) {
  return (eb: ExpressionBuilder<Database, 'signin_requests'>) => {
    const numberMatches = eb('number', '=', number);
    return {
      status: eb.case().when(numberMatches).then('approved').else('wrong_number').end(),
      reason: eb
        .case()
        .when(numberMatches)
        .then(sql<null>`null`)
        .else('wrong_number')
        .end(),
    };
  };
}

/** The guarded write of `SigninsStore.applyDecision`, with the outcome columns `outcome` gives. */
function decisionUpdate(
  db: Kysely<Database>,
  where: { requestId: string; deviceId: string; userId: string; unlock: string; now: number },
  outcome: (eb: ExpressionBuilder<Database, 'signin_requests'>) => {
    status: string | Expression<string>;
    reason: string | Expression<string | null>;
  },
) {
  const { requestId, deviceId, userId, unlock, now } = where;
  return db
    .updateTable('signin_requests')
    .set((eb) => ({ ...outcome(eb), device_id: deviceId, decided_at: now, unlock }))
    .where('id', '=', requestId)
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .where('method', 'not in', ['password', 'tap'])
    .where((eb) =>
      eb.exists(eb.selectFrom('devices').select('devices.id').where('devices.id', '=', deviceId).where('devices.user_id', '=', userId)),
    )
    .returning(SETTLED_COLUMNS)
    .returning((eb) =>
      eb
        .selectFrom('push_failures')
        .select((inner) =>
          inner(
            'push_failures.failure_count',
            '+',
            inner.case().when('push_failures.locked_until', 'is not', null).then(1).else(0).end(),
          ).as('n'),
        )
        .whereRef('push_failures.user_id', '=', 'signin_requests.user_id')
        .whereRef('push_failures.client_key', '=', 'signin_requests.client_key')
        .as('user_failures'),
    );
}
