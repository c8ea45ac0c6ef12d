import { expressionBuilder, PostgresAdapter, sql, type ExpressionBuilder, type Kysely, type Selectable, type Transaction } from 'kysely';
import { preparedQuery } from './prepared-query.ts';
import type { Database, PinAttemptsTable } from './schema.ts';

export type PinAttemptRow = Selectable<PinAttemptsTable>;
type Db = Kysely<Database> | Transaction<Database>;

/**
 * The PIN counts of docs/protocol.md section 4a, and the device sockets of section 4, kept in the
 * database so every instance shares them and a restart keeps them. Updates that must not race
 * run in `withDevices`: a transaction holding the devices' rows (`SELECT … FOR UPDATE` on
 * PostgreSQL; SQLite is held exclusively by one process, whose transactions run one at a time).
 */
export class PinStore {
  private readonly postgres: boolean;
  // The statements every PIN approval runs, compiled once (store/prepared-query.ts).
  private readonly selectUnlockState;
  private readonly insertAttemptWithin;
  private readonly deleteProven;
  private readonly selectApprovalState;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    this.selectUnlockState = preparedQuery(db, (deviceId: string, failuresSince: number, madeBy: number) =>
      db
        .selectFrom('device_pin_keys')
        .select((eb) => [
          'sealed_key',
          'locked_at',
          eb
            .selectFrom('pin_attempts')
            .select((inner) => inner.fn.countAll<number>().as('n'))
            .where('device_id', '=', deviceId)
            .where('failed_at', 'is not', null)
            .where('failed_at', '>', failuresSince)
            .as('failures'),
          eb
            .selectFrom('pin_attempts')
            .select((inner) => inner.fn.countAll<number>().as('n'))
            .where('device_id', '=', deviceId)
            .where('failed_at', 'is', null)
            .as('open'),
          overdueAttempt(deviceId, madeBy).as('overdue'),
        ])
        .where('device_id', '=', deviceId),
    );
    this.insertAttemptWithin = preparedQuery(
      db,
      (...[id, deviceId, socketId, seq, blinded, ip, madeAt, failuresSince, max]: AttemptWithinArgs) =>
        this.postgres
          ? // Migration 0012: the same, atomic across instances (the device's row lock, then the count).
            db.selectNoFrom((eb) =>
              eb
                .fn<number | null>('countersign_add_pin_attempt', [
                  eb.val(id),
                  eb.val(deviceId),
                  eb.val(socketId),
                  eb.val(seq),
                  eb.val(blinded),
                  eb.val(ip),
                  eb.val(madeAt),
                  eb.val(failuresSince),
                  eb.val(max),
                ])
                .as('counted'),
            )
          : db
              .insertInto('pin_attempts')
              .columns(['id', 'device_id', 'socket_id', 'seq', 'blinded', 'ip', 'made_at'])
              .expression((eb) =>
                eb
                  .selectFrom('device_pin_keys')
                  .select([
                    eb.val(id).as('id'),
                    eb.val(deviceId).as('device_id'),
                    eb.val(socketId).as('socket_id'),
                    eb.val(seq).as('seq'),
                    eb.val(blinded).as('blinded'),
                    eb.val(ip).as('ip'),
                    eb.val(madeAt).as('made_at'),
                  ])
                  .where('device_id', '=', deviceId)
                  .where('locked_at', 'is', null)
                  .where((where) => countedAttempts(where, deviceId, failuresSince), '<', max),
              )
              // Counted after the row went in (SQLite evaluates RETURNING per inserted row), so
              // concurrent unlocks are each told their own place.
              .returning((eb) => countedAttempts(eb, deviceId, failuresSince).as('counted')),
      9,
    );
    this.deleteProven = preparedQuery(db, (deviceId: string, socketId: string, blinded: string, madeAfter: number) =>
      db
        .deleteFrom('pin_attempts')
        .where('device_id', '=', deviceId)
        .where('socket_id', '=', socketId)
        .where('failed_at', 'is', null)
        .where('made_at', '>', madeAfter)
        .where('seq', '<=', (eb) =>
          eb
            .selectFrom('pin_attempts')
            .select('seq')
            .where('device_id', '=', deviceId)
            .where('socket_id', '=', socketId)
            .where('blinded', '=', blinded)
            .where('failed_at', 'is', null)
            .where('made_at', '>', madeAfter)
            .orderBy('seq', 'desc')
            .limit(1),
        ),
    );
    this.selectApprovalState = preparedQuery(db, (deviceId: string, madeBy: number) =>
      db
        .selectFrom('device_pin_keys')
        .select(['locked_at', overdueAttempt(deviceId, madeBy).as('overdue')])
        .where('device_id', '=', deviceId),
    );
  }

  /** Runs `work` in a transaction that holds these devices' rows (in id order, so two never deadlock). */
  withDevices<T>(deviceIds: readonly string[], work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      if (this.postgres && deviceIds.length > 0) {
        await trx
          .selectFrom('devices')
          .select('id')
          .where('id', 'in', [...deviceIds].sort())
          .orderBy('id')
          .forUpdate()
          .execute();
      }
      return work(trx);
    });
  }

  // ---- OPRF keys ----

  key(db: Db, deviceId: string) {
    return db.selectFrom('device_pin_keys').select(['sealed_key', 'locked_at']).where('device_id', '=', deviceId).executeTakeFirst();
  }

  async putKey(db: Db, deviceId: string, sealedKey: string, now: number): Promise<void> {
    await db
      .insertInto('device_pin_keys')
      .values({ device_id: deviceId, sealed_key: sealedKey, created_at: now, locked_at: null })
      .onConflict((oc) => oc.column('device_id').doUpdateSet({ sealed_key: sealedKey, created_at: now }))
      .execute();
  }

  /** Locks the device's PIN; true only for the call that did it. */
  async lock(db: Db, deviceId: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('device_pin_keys')
      .set({ locked_at: now })
      .where('device_id', '=', deviceId)
      .where('locked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Which of these devices have a locked PIN. */
  async locked(deviceIds: readonly string[]): Promise<Set<string>> {
    if (deviceIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('device_pin_keys')
      .select('device_id')
      .where('device_id', 'in', deviceIds)
      .where('locked_at', 'is not', null)
      .execute();
    return new Set(rows.map((row) => row.device_id));
  }

  // ---- attempts ----

  async addAttempt(db: Db, attempt: Omit<PinAttemptRow, 'failed_at'>): Promise<void> {
    await db
      .insertInto('pin_attempts')
      .values({ ...attempt, failed_at: null })
      .execute();
  }

  /**
   * Turns open attempts made at or before `now - proofWindowMs` into failures, dated when they
   * became one; returns them (each once, however many instances sweep at the same time).
   */
  failStale(db: Db, now: number, proofWindowMs: number, deviceId?: string): Promise<PinAttemptRow[]> {
    let query = db
      .updateTable('pin_attempts')
      .set((eb) => ({ failed_at: eb('made_at', '+', proofWindowMs) }))
      .where('failed_at', 'is', null)
      .where('made_at', '<=', now - proofWindowMs);
    if (deviceId !== undefined) query = query.where('device_id', '=', deviceId);
    return query.returningAll().execute();
  }

  /**
   * What an `approve` with unlock `pin` needs, in one read (it is on every PIN approval): whether
   * the device has a key, whether it is locked, and whether an attempt made at or before `madeBy`
   * is still open (then it must be settled first: it may be the failure that locks).
   */
  async approvalState(deviceId: string, madeBy: number): Promise<{ locked: boolean; overdue: boolean } | undefined> {
    const row = (await this.selectApprovalState(deviceId, madeBy)).rows[0];
    // SQLite answers exists() with 0 or 1, PostgreSQL with a boolean.
    return row && { locked: row.locked_at != null, overdue: Boolean(row.overdue) };
  }

  /**
   * What an `unlock` needs, in one read: the device's key and lock, its failures since
   * `failuresSince`, its open attempts, and whether one made at or before `madeBy` is overdue
   * (then it must be settled first, in `withDevices`). Undefined when the device has no key yet.
   */
  async unlockState(deviceId: string, failuresSince: number, madeBy: number) {
    const row = (await this.selectUnlockState(deviceId, failuresSince, madeBy)).rows[0];
    return (
      row && {
        sealedKey: row.sealed_key,
        locked: row.locked_at != null,
        failures: Number(row.failures ?? 0),
        open: Number(row.open ?? 0),
        overdue: Boolean(row.overdue),
      }
    );
  }

  /**
   * Records an attempt in one statement, only while the device's PIN is not locked and it has
   * fewer than `max` failures since `failuresSince` and open attempts together; returns how many
   * it has with this one, or null when it was not recorded. Atomic: concurrent unlocks, on any
   * instance, are each counted (one statement on SQLite, where one process writes one statement at
   * a time; one function call on PostgreSQL, migration 0012).
   */
  async addAttemptWithin(attempt: Omit<PinAttemptRow, 'failed_at'>, failuresSince: number, max: number): Promise<number | null> {
    const { id, device_id, socket_id, seq, blinded, ip, made_at } = attempt;
    const result = await this.insertAttemptWithin(id, device_id, socket_id, seq, blinded, ip, made_at, failuresSince, max);
    // SQLite inserts no row when refused; PostgreSQL's function answers null.
    const counted = result.rows[0]?.counted;
    return counted == null ? null : Number(counted);
  }

  /** The socket closed: its open attempts for these devices (the ones it accepted) are failures now. */
  failSocket(db: Db, socketId: string, deviceIds: readonly string[], now: number): Promise<PinAttemptRow[]> {
    if (deviceIds.length === 0) return Promise.resolve([]);
    return db
      .updateTable('pin_attempts')
      .set({ failed_at: now })
      .where('device_id', 'in', deviceIds)
      .where('socket_id', '=', socketId)
      .where('failed_at', 'is', null)
      .returningAll()
      .execute();
  }

  /** Failures since `since`, and attempts still open (on every socket, every instance): one read. */
  async counts(db: Db, deviceId: string, since: number): Promise<{ failures: number; open: number }> {
    const row = await db
      .selectFrom('pin_attempts')
      .select((eb) => [
        eb.fn
          .sum<string | number | null>(
            eb
              .case()
              .when(eb.and([eb('failed_at', 'is not', null), eb('failed_at', '>', since)]))
              .then(sql<number>`1`)
              .else(sql<number>`0`)
              .end(),
          )
          .as('failures'),
        eb.fn
          .sum<string | number | null>(
            eb
              .case()
              .when('failed_at', 'is', null)
              .then(sql<number>`1`)
              .else(sql<number>`0`)
              .end(),
          )
          .as('open'),
      ])
      .where('device_id', '=', deviceId)
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures ?? 0), open: Number(row.open ?? 0) };
  }

  /**
   * The proof of section 4a: clears the newest open attempt on this socket naming `blinded`, and
   * every open attempt made on the socket before it, all made after `madeAfter` (an older one is
   * a failure already, and failures are final, whether or not a sweep has marked it yet). False
   * when there is none (already proven, too late, already a failure, or made on another socket).
   * One statement: only this socket proves its attempts, one frame at a time, and the delete
   * takes no attempt another instance marked failed meanwhile.
   */
  async prove(deviceId: string, socketId: string, blinded: string, madeAfter: number): Promise<boolean> {
    const result = await this.deleteProven(deviceId, socketId, blinded, madeAfter);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Failures older than the window count for nothing any more. */
  async forgetOldFailures(before: number): Promise<void> {
    await this.db.deleteFrom('pin_attempts').where('failed_at', 'is not', null).where('failed_at', '<=', before).execute();
  }

  // ---- device sockets (the 4-socket cap per device, and the cap per user) ----

  /**
   * Takes a place for this socket for each device that has fewer than `max` live sockets, and
   * whose user has fewer than `maxPerUser` live sockets holding any of their devices, on any
   * instance; returns the devices it got places for. A socket holding two devices of one user is
   * one socket of that user. Rows whose lease ran out (their instance died without closing them)
   * are removed first. The transaction holds every device row of these users (in id order, as
   * `withDevices` does), so two `auth`s for one user on two instances count one after the other.
   */
  claimSockets(input: {
    /** Each device and the user it belongs to. */
    devices: readonly { deviceId: string; userId: string }[];
    socketId: string;
    instanceId: string;
    now: number;
    leaseUntil: number;
    max: number;
    maxPerUser: number;
  }): Promise<Set<string>> {
    const { devices, socketId, instanceId, now, leaseUntil, max, maxPerUser } = input;
    if (devices.length === 0) return Promise.resolve(new Set());
    const deviceIds = devices.map((device) => device.deviceId);
    const userIds = [...new Set(devices.map((device) => device.userId))];
    return this.db.transaction().execute(async (trx) => {
      const usersDevices = await trx
        .selectFrom('devices')
        .select(['id', 'user_id'])
        .where('user_id', 'in', userIds)
        .orderBy('id')
        .$if(this.postgres, (query) => query.forUpdate())
        .execute();
      const allIds = [...new Set([...deviceIds, ...usersDevices.map((row) => row.id)])];
      await trx.deleteFrom('device_sockets').where('device_id', 'in', allIds).where('lease_until', '<=', now).execute();
      const held = await trx.selectFrom('device_sockets').select(['device_id', 'socket_id']).where('device_id', 'in', allIds).execute();
      const userOf = new Map(usersDevices.map((row) => [row.id, row.user_id]));
      const counts = new Map<string, number>();
      const userSockets = new Map<string, Set<string>>();
      for (const row of held) {
        counts.set(row.device_id, (counts.get(row.device_id) ?? 0) + 1);
        const userId = userOf.get(row.device_id);
        if (userId === undefined) continue;
        let sockets = userSockets.get(userId);
        if (!sockets) userSockets.set(userId, (sockets = new Set()));
        sockets.add(row.socket_id);
      }
      const granted: string[] = [];
      for (const { deviceId, userId } of devices) {
        if ((counts.get(deviceId) ?? 0) >= max) continue;
        const sockets = userSockets.get(userId) ?? new Set<string>();
        // This socket already holds a place for the user (another of their devices): no new one.
        if (!sockets.has(socketId) && sockets.size >= maxPerUser) continue;
        sockets.add(socketId);
        userSockets.set(userId, sockets);
        granted.push(deviceId);
      }
      if (granted.length > 0) {
        await trx
          .insertInto('device_sockets')
          .values(
            granted.map((deviceId) => ({ socket_id: socketId, device_id: deviceId, instance_id: instanceId, lease_until: leaseUntil })),
          )
          .execute();
      }
      return new Set(granted);
    });
  }

  async releaseSocket(socketId: string, deviceId?: string): Promise<void> {
    let query = this.db.deleteFrom('device_sockets').where('socket_id', '=', socketId);
    if (deviceId !== undefined) query = query.where('device_id', '=', deviceId);
    await query.execute();
  }

  async renewLeases(instanceId: string, leaseUntil: number): Promise<void> {
    await this.db.updateTable('device_sockets').set({ lease_until: leaseUntil }).where('instance_id', '=', instanceId).execute();
  }

  async releaseInstance(instanceId: string): Promise<void> {
    await this.db.deleteFrom('device_sockets').where('instance_id', '=', instanceId).execute();
  }
}

type AttemptWithinArgs = [
  id: string,
  deviceId: string,
  socketId: string,
  seq: number,
  blinded: string,
  ip: string,
  madeAt: number,
  failuresSince: number,
  max: number,
];

/** Built on a builder of its own so that any statement can use it, whatever its tables. */
const pinTables = expressionBuilder<Database, never>();

/** Whether the device has an attempt made at or before `madeBy` that is still open. */
function overdueAttempt(deviceId: string, madeBy: number) {
  const eb = pinTables;
  return eb.exists(
    eb
      .selectFrom('pin_attempts')
      .select('pin_attempts.id')
      .where('pin_attempts.device_id', '=', deviceId)
      .where('pin_attempts.failed_at', 'is', null)
      .where('pin_attempts.made_at', '<=', madeBy),
  );
}

/**
 * The device's PIN may approve (section 4a): it is not locked, and no attempt made at or before
 * `madeBy` is still open (such an attempt is a failure that may lock it). For a guarded write.
 */
export function pinUsable(deviceId: string, madeBy: number) {
  const eb = pinTables;
  return eb.and([
    eb.not(
      eb.exists(
        eb
          .selectFrom('device_pin_keys')
          .select('device_pin_keys.device_id')
          .where('device_pin_keys.device_id', '=', deviceId)
          .where('device_pin_keys.locked_at', 'is not', null),
      ),
    ),
    eb.not(overdueAttempt(deviceId, madeBy)),
  ]);
}

/** What counts against the device's 10 attempts: failures since `failuresSince`, and open attempts. */
function countedAttempts(eb: ExpressionBuilder<Database, 'device_pin_keys' | 'pin_attempts'>, deviceId: string, failuresSince: number) {
  return eb
    .selectFrom('pin_attempts')
    .select((inner) => inner.fn.countAll<number>().as('n'))
    .where('device_id', '=', deviceId)
    .where((inner) => inner.or([inner('failed_at', 'is', null), inner('failed_at', '>', failuresSince)]));
}
