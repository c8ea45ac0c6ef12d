import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * The relay's tables. Portable across SQLite and PostgreSQL: text ids made by the app, times as
 * integer Unix ms (bigint), booleans as 0/1 integers, lists as JSON text.
 */
export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  user_groups: UserGroupsTable;
  devices: DevicesTable;
  pairing_offers: PairingOffersTable;
  signin_requests: SigninRequestsTable;
  policy: PolicyTable;
  sessions: SessionsTable;
  temporary_access_passes: TemporaryAccessPassesTable;
  push_failures: PushFailuresTable;
  relay_secrets: RelaySecretsTable;
}

export interface UsersTable {
  id: string;
  /** As the admin wrote it; shown back everywhere. */
  upn: string;
  /** Lower-cased UPN: sign-in names match case-insensitively, as in Entra. */
  upn_key: string;
  display_name: string;
  password_hash: string | null;
  is_admin: number;
  /** Set by "It wasn't me": push sign-in blocked until an admin clears it. */
  push_blocked: number;
  failure_count: number;
  locked_until: number | null;
  created_at: number;
}

export interface GroupsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface UserGroupsTable {
  user_id: string;
  group_id: string;
}

export interface DevicesTable {
  id: string;
  user_id: string;
  name: string;
  /** The approval key (PROTOCOL.md section 2): signs `pair` and every `approve`. */
  public_key: string;
  /**
   * The connect key: signs `connect`, and `deny`/`report` with unlock `none`. Null for a device
   * paired under protocol revision 1, which can no longer connect or approve (`isActiveDevice`).
   */
  connect_public_key: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface PairingOffersTable {
  /** SHA-256 of the token: a copy of the database never holds a usable token. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type SigninMethod = 'passwordless' | 'push_after_password' | 'password' | 'tap';

export interface SigninRequestsTable {
  id: string;
  user_id: string | null;
  upn: string;
  app_id: string | null;
  app_name: string | null;
  ip: string;
  location: string | null;
  browser: string;
  os: string;
  method: SigninMethod;
  number: string | null;
  match_mode: string | null;
  digits: number | null;
  /** JSON array of three choices in choose mode. */
  choices: string | null;
  browser_token_hash: string | null;
  status: string;
  reason: string | null;
  device_id: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  completed_at: number | null;
  /** How the deciding device released its key (`pin`, `webauthn`, `none`); gives the session's `amr`. */
  unlock: string | null;
  /** The client the request came from, as per-client limits key it (IPv4 address, IPv6 /64). */
  client_key: string;
  /** Which of the user's three pending slots (0..2) a pending push holds; null for other rows. */
  pending_slot: number | null;
}

/** Failed pushes per user and client (PROTOCOL.md section 6), and the lock they set. */
export interface PushFailuresTable {
  user_id: string;
  client_key: string;
  failure_count: number;
  locked_until: number | null;
}

export interface RelaySecretsTable {
  name: string;
  /** base64url of the secret's bytes. */
  value: string;
}

export interface PolicyTable {
  id: string;
  /** JSON of the section 6 policy. */
  body: string;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value. */
  id_hash: string;
  user_id: string;
  /** JSON array of authentication method references. */
  amr: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface TemporaryAccessPassesTable {
  id: string;
  user_id: string;
  code_hash: string;
  one_time: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type UserRow = Selectable<UsersTable>;
export type DeviceRow = Selectable<DevicesTable>;
export type SigninRow = Selectable<SigninRequestsTable>;
export type NewSigninRow = Insertable<SigninRequestsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type { Generated };
