import { type Kysely, type Migration, type MigrationProvider, Migrator, SqliteAdapter, sql } from 'kysely';

/** Migrations in order; written with Kysely's schema builder so SQLite and PostgreSQL share them. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('upn', 'text', (c) => c.notNull())
        .addColumn('upn_key', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('push_blocked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('groups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_groups')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('user_groups_pk', ['user_id', 'group_id'])
        .execute();
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('devices_user').on('devices').column('user_id').execute();
      await db.schema
        .createTable('pairing_offers')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createTable('signin_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('upn', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text')
        .addColumn('app_name', 'text')
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('browser', 'text', (c) => c.notNull())
        .addColumn('os', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('number', 'text')
        .addColumn('match_mode', 'text')
        .addColumn('digits', 'integer')
        .addColumn('choices', 'text')
        .addColumn('browser_token_hash', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('device_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('signin_requests_user_status').on('signin_requests').columns(['user_id', 'status']).execute();
      await db.schema.createIndex('signin_requests_created').on('signin_requests').column('created_at').execute();
      await db.schema
        .createTable('policy')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('amr', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('temporary_access_passes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('one_time', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
    },
  },
  '0002_one_pending_request_per_user': {
    async up(db: Kysely<any>) {
      // Concurrent sign-ins on PostgreSQL could leave two pending requests for one user; keep the
      // newest, as the relay's supersede would have, before the index makes it the database's rule.
      await db
        .updateTable('signin_requests as older')
        .set({ status: 'cancelled', reason: 'superseded', decided_at: Date.now() })
        .where('older.status', '=', 'pending')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('signin_requests as newer')
              .select('newer.id')
              .whereRef('newer.user_id', '=', 'older.user_id')
              .where('newer.status', '=', 'pending')
              .where(({ eb, or, and, ref }) =>
                or([
                  eb('newer.created_at', '>', ref('older.created_at')),
                  and([eb('newer.created_at', '=', ref('older.created_at')), eb('newer.id', '>', ref('older.id'))]),
                ]),
              ),
          ),
        )
        .execute();
      await db.schema
        .createIndex('signin_requests_one_pending')
        .on('signin_requests')
        .column('user_id')
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
    },
  },
  '0003_recent_pushes_by_user': {
    async up(db: Kysely<any>) {
      // The push budget counts a user's requests of the last 10 minutes: (user_id, created_at)
      // finds them without reading the user's whole history. Pending requests are found through
      // the partial index of 0002, so (user_id, status) is no longer needed.
      await db.schema.createIndex('signin_requests_user_created').on('signin_requests').columns(['user_id', 'created_at']).execute();
      await db.schema.dropIndex('signin_requests_user_status').execute();
    },
  },
  '0004_two_device_keys': {
    async up(db: Kysely<any>) {
      // Protocol revision 2 (section 2): each device has an approval key (`public_key`, as before)
      // and a connect key. Rows paired under revision 1 keep `connect_public_key` null: they are
      // still listed and removable, but can no longer connect or approve until added again.
      await db.schema.alterTable('devices').addColumn('connect_public_key', 'text').execute();
      // How the approving device released its approval key (`pin` or `webauthn`), for `amr`.
      await db.schema.alterTable('signin_requests').addColumn('unlock', 'text').execute();
    },
  },
  '0005_limits_per_client': {
    async up(db: Kysely<any>) {
      // docs/protocol.md revision 2 sections 5 and 6: limits strangers can reach are kept per client
      // (IPv4 address, IPv6 /64: `client_key`) as well as per user. Older rows take their IP.
      await db.schema
        .alterTable('signin_requests')
        .addColumn('client_key', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db
        .updateTable('signin_requests')
        .set({ client_key: sql.ref('ip') })
        .execute();
      // One pending request per user and client (a newer one from the same client supersedes it),
      // and at most three per user: each pending request holds one of the user's three slots.
      // Both are unique partial indexes, so concurrent sign-ins on PostgreSQL cannot break them.
      await db.schema.alterTable('signin_requests').addColumn('pending_slot', 'integer').execute();
      await db.updateTable('signin_requests').set({ pending_slot: 0 }).where('status', '=', 'pending').execute();
      await db.schema.dropIndex('signin_requests_one_pending').execute();
      await db.schema
        .createIndex('signin_requests_pending_per_client')
        .on('signin_requests')
        .columns(['user_id', 'client_key'])
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('signin_requests_pending_slot')
        .on('signin_requests')
        .columns(['user_id', 'pending_slot'])
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      // Failed pushes (deny, wrong number, unanswered) per user and client, and the lock they set.
      await db.schema
        .createTable('push_failures')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_key', 'text', (c) => c.notNull())
        .addColumn('failure_count', 'integer', (c) => c.notNull())
        .addColumn('locked_until', 'bigint')
        .addPrimaryKeyConstraint('push_failures_pk', ['user_id', 'client_key'])
        .execute();
      // Keys the relay makes for itself on first start (the familiar-browser cookie's HMAC key).
      await db.schema
        .createTable('relay_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0006_apps_and_openid_provider': {
    async up(db: Kysely<any>) {
      // docs/protocol.md sections 7 and 9: registered apps, and the OpenID Provider's state shared
      // by every instance on this database.
      await db.schema
        .createTable('apps')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('is_public', 'integer', (c) => c.notNull())
        .addColumn('secret_hash', 'text')
        .addColumn('needs_consent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('app_consents')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) => c.notNull().references('apps.client_id').onDelete('cascade'))
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('app_consents_pk', ['user_id', 'client_id'])
        .execute();
      await db.schema
        .createTable('oidc_payloads')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).execute();
      await db.schema.createIndex('oidc_payloads_grant').on('oidc_payloads').column('grant_id').execute();
      await db.schema.createIndex('oidc_payloads_expiry').on('oidc_payloads').column('expires_at').execute();
      await db.schema
        .createTable('oidc_signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
    },
  },
  '0007_pin_hardening': {
    async up(db: Kysely<any>) {
      // docs/protocol.md revision 3 section 4a. Each device's OPRF secret key, sealed with a key
      // that is not in the database (pin/pin-sealing-key.ts), and whether its PIN is locked. A
      // device paired under revision 2 gets its row at its first `unlock`.
      await db.schema
        .createTable('device_pin_keys')
        .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
        .addColumn('sealed_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_at', 'bigint')
        .execute();
      // Every evaluation is an attempt on one socket. A proof on that socket deletes it (and the
      // socket's earlier ones); an unproven one becomes a failure (`failed_at`), which is final and
      // counts for 30 days. `seq` orders a socket's attempts when the clock does not.
      await db.schema
        .createTable('pin_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('socket_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('blinded', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('made_at', 'bigint', (c) => c.notNull())
        .addColumn('failed_at', 'bigint')
        .execute();
      await db.schema.createIndex('pin_attempts_device').on('pin_attempts').columns(['device_id', 'failed_at']).execute();
      await db.schema.createIndex('pin_attempts_socket').on('pin_attempts').columns(['socket_id', 'device_id']).execute();
      await db.schema.createIndex('pin_attempts_open').on('pin_attempts').columns(['failed_at', 'made_at']).execute();
      // Authenticated sockets per device on every instance (at most 4, section 4). A row per socket
      // and device, removed when the socket closes; each instance renews the lease of its rows, so
      // the rows of an instance that died expire instead of holding places forever.
      await db.schema
        .createTable('device_sockets')
        .addColumn('socket_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_sockets_pk', ['socket_id', 'device_id'])
        .execute();
      await db.schema.createIndex('device_sockets_device').on('device_sockets').columns(['device_id', 'lease_until']).execute();
      await db.schema.createIndex('device_sockets_instance').on('device_sockets').column('instance_id').execute();
    },
  },
  '0008_familiar_browsers': {
    async up(db: Kysely<any>) {
      // docs/protocol.md revision 3 section 5: each familiar-browser cookie has an id on the relay,
      // so it is a client of its own (its own budgets, pending slot, failures) and can be revoked
      // by "sign out everywhere", a password change, or a report of a request it made.
      await db.schema
        .createTable('familiar_browsers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('familiar_browsers_user').on('familiar_browsers').column('user_id').execute();
      // The cap on stored OpenID Connect interactions counts the live ones of one model.
      await db.schema.createIndex('oidc_payloads_model_expiry').on('oidc_payloads').columns(['model', 'expires_at']).execute();
    },
  },
  '0010_forward_auth': {
    async up(db: Kysely<any>) {
      // docs/protocol.md section 10: the sites a proxy protects, and the forward-auth cookie's
      // handles, which end with the relay session they were minted from.
      await db.schema
        .createTable('forward_auth_rules')
        .addColumn('host', 'text', (c) => c.primaryKey())
        .addColumn('groups', 'text', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('max_age_seconds', 'integer', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('forward_auth_handles')
        .addColumn('handle_hash', 'text', (c) => c.primaryKey())
        .addColumn('session_hash', 'text', (c) => c.notNull().references('sessions.id_hash').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('forward_auth_handles_session').on('forward_auth_handles').column('session_hash').execute();
    },
  },
  '0009_oidc_apps': {
    async up(db: Kysely<any>) {
      // docs/protocol.md revision 3 sections 7 and 9: users' email, apps' logout URIs and ID token
      // algorithm, and what lets a relay session's end reach the apps and refresh tokens under it.
      await db.schema.alterTable('users').addColumn('email', 'text').execute();
      await db.schema
        .alterTable('apps')
        .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.alterTable('apps').addColumn('backchannel_logout_uri', 'text').execute();
      await db.schema
        .alterTable('apps')
        .addColumn('id_token_alg', 'text', (c) => c.notNull().defaultTo('RS256'))
        .execute();
      await db.schema.alterTable('oidc_payloads').addColumn('account_id', 'text').execute();
      await db.schema.alterTable('oidc_payloads').addColumn('client_id', 'text').execute();
      await db.schema.createIndex('oidc_payloads_account').on('oidc_payloads').column('account_id').execute();
      await db.schema.createIndex('oidc_payloads_client').on('oidc_payloads').column('client_id').execute();
      await db.schema
        .createTable('oidc_session_grants')
        .addColumn('grant_id', 'text', (c) => c.primaryKey())
        .addColumn('session_hash', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('sid', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oidc_session_grants_session').on('oidc_session_grants').column('session_hash').execute();
      await db.schema.createIndex('oidc_session_grants_user').on('oidc_session_grants').column('user_id').execute();
      await db.schema.createIndex('oidc_session_grants_client').on('oidc_session_grants').column('client_id').execute();
    },
  },
  '0011_pin_attempts_by_device': {
    async up(db: Kysely<any>) {
      // Every PIN approval inserts and deletes one attempt: keyed by (device, socket, seq), which
      // is what every lookup names, the row lives in one b-tree (WITHOUT ROWID on SQLite) with one
      // index for the sweeps, instead of a table and four indexes. Half the pages written per
      // approval (docs/performance.md).
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('pin_attempts_by_device')
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('socket_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('blinded', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('made_at', 'bigint', (c) => c.notNull())
        .addColumn('failed_at', 'bigint')
        .addPrimaryKeyConstraint('pin_attempts_by_device_pk', ['device_id', 'socket_id', 'seq'])
        .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
        .execute();
      await sql`insert into pin_attempts_by_device (device_id, socket_id, seq, id, blinded, ip, made_at, failed_at)
        select device_id, socket_id, seq, id, blinded, ip, made_at, failed_at from pin_attempts`.execute(db);
      await db.schema.dropTable('pin_attempts').execute();
      await db.schema.alterTable('pin_attempts_by_device').renameTo('pin_attempts').execute();
      await db.schema.createIndex('pin_attempts_open').on('pin_attempts').columns(['failed_at', 'made_at']).execute();
    },
  },
  '0012_pin_attempt_in_one_call': {
    async up(db: Kysely<any>) {
      // PostgreSQL only: an unlock's attempt counted and recorded in one round trip, instead of a
      // transaction of seven statements (docs/performance.md). A statement's count cannot see rows
      // committed while it waited for a lock; each statement of a volatile function takes a fresh
      // snapshot, so the count after the device's row lock sees every attempt committed before it.
      // The lock is the one `PinStore.withDevices` takes, so the settling and locking transactions
      // and this function count one after the other. SQLite counts in one statement already.
      if (db.getExecutor().adapter instanceof SqliteAdapter) return;
      await sql`
        create function countersign_add_pin_attempt(
          p_id text, p_device_id text, p_socket_id text, p_seq integer, p_blinded text, p_ip text,
          p_made_at bigint, p_failures_since bigint, p_max integer
        ) returns integer language plpgsql volatile as $$
        declare
          counted integer;
        begin
          perform 1 from devices where id = p_device_id for update;
          if not exists (select 1 from device_pin_keys where device_id = p_device_id and locked_at is null) then
            return null;
          end if;
          select count(*) into counted from pin_attempts
            where device_id = p_device_id and (failed_at is null or failed_at > p_failures_since);
          if counted >= p_max then
            return null;
          end if;
          insert into pin_attempts (id, device_id, socket_id, seq, blinded, ip, made_at)
            values (p_id, p_device_id, p_socket_id, p_seq, p_blinded, p_ip, p_made_at);
          return counted + 1;
        end
        $$`.execute(db);
    },
  },
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
