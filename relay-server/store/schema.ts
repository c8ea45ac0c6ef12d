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
  apps: AppsTable;
  app_consents: AppConsentsTable;
  oidc_payloads: OidcPayloadsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  oidc_session_grants: OidcSessionGrantsTable;
  familiar_browsers: FamiliarBrowsersTable;
  device_pin_keys: DevicePinKeysTable;
  pin_attempts: PinAttemptsTable;
  device_sockets: DeviceSocketsTable;
  forward_auth_rules: ForwardAuthRulesTable;
  forward_auth_handles: ForwardAuthHandlesTable;
}

/** A device's OPRF secret key (docs/protocol.md section 4a), sealed at rest, and its PIN lock. */
export interface DevicePinKeysTable {
  device_id: string;
  /** AES-256-GCM of the 32-byte key under the PIN sealing key, AAD = device id (pin/pin-sealing-key.ts). */
  sealed_key: string;
  created_at: number;
  /** Set at the 10th failure in 30 days: no more evaluations, no `approve` with unlock `pin`. */
  locked_at: number | null;
}

/** One evaluation (`unlock` or `rekey`) on one socket; deleted by its proof, or kept as a failure. */
export interface PinAttemptsTable {
  id: string;
  device_id: string;
  socket_id: string;
  /** Order of the socket's attempts: a proof clears its own and every earlier one. */
  seq: number;
  blinded: string;
  /** The socket's client address, for the sign-in log row of a failure. */
  ip: string;
  made_at: number;
  /** When it became a failure (no proof within 60 s, or its socket closed); null while open. */
  failed_at: number | null;
}

/** An authenticated socket holding a device, on some instance (the 4-socket cap of section 4). */
export interface DeviceSocketsTable {
  socket_id: string;
  device_id: string;
  instance_id: string;
  lease_until: number;
}

/** A familiar-browser cookie (docs/protocol.md section 5): a client of its own until it expires or is revoked. */
export interface FamiliarBrowsersTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Set by "sign out everywhere", a password change, or a report of a request it made. */
  revoked_at: number | null;
}

/** An app registered to sign its users in through the relay (docs/protocol.md sections 7 and 9). */
export interface AppsTable {
  client_id: string;
  name: string;
  /** JSON array of the exact redirect URIs the app may receive codes at. */
  redirect_uris: string;
  /** 1: a public client (no secret, PKCE required). */
  is_public: number;
  /** SHA-256 (base64url) of the client secret; the secret itself is shown once and never stored. */
  secret_hash: string | null;
  /** 1: the person is asked once before the app learns who they are. */
  needs_consent: number;
  created_at: number;
  /** JSON array of the URIs RP-initiated logout may return to. */
  post_logout_redirect_uris: string;
  /** Back-Channel Logout 1.0 receiver, or null. */
  backchannel_logout_uri: string | null;
  /** RS256 or ES256. */
  id_token_alg: string;
}

/** "Allow" answers to apps that need consent, remembered per person and app. */
export interface AppConsentsTable {
  user_id: string;
  client_id: string;
  granted_at: number;
}

/** The OpenID Provider's state (sessions, grants, codes, interactions, tokens): one row per model and id. */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  /** JSON of the provider's payload. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
  /** The account and app the state belongs to, so a password change or an app's deletion can end it all. */
  account_id: string | null;
  client_id: string | null;
}

/**
 * Which relay session each app's grant was made under (one per provider session and app): the
 * grant, its refresh tokens and the app's session (by `sid`) end with that relay session.
 */
export interface OidcSessionGrantsTable {
  grant_id: string;
  /** sessions.id_hash of the relay session. */
  session_hash: string;
  user_id: string;
  client_id: string;
  /** The `sid` in the app's ID tokens and its logout token. */
  sid: string;
  created_at: number;
}

/** ID token signing keys; the newest unretired one signs, retired ones stay published until their tokens expire. */
export interface OidcSigningKeysTable {
  kid: string;
  /** The private JWK as JSON. */
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
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
  /** Optional; the `email` claim (docs/protocol.md section 9). */
  email: string | null;
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
  /** The approval key (docs/protocol.md section 2): signs `pair` and every `approve`. */
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

/** `pin_unlock`: a failed or locked PIN evaluation (section 4a), logged already decided. */
export type SigninMethod = 'passwordless' | 'push_after_password' | 'password' | 'tap' | 'pin_unlock';

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

/** Failed pushes per user and client (docs/protocol.md section 6), and the lock they set. */
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

/** A site protected through forward auth (docs/protocol.md section 10), one row per host. */
export interface ForwardAuthRulesTable {
  /** Normalized hostname (forward-auth/hostname.ts). */
  host: string;
  /** JSON array of group names; empty means every signed-in person. */
  groups: string;
  policy: 'session' | 'approval';
  max_age_seconds: number;
  /** Order the admin gave the rules in. */
  position: number;
}

/** The forward-auth cookie's handle (SHA-256 of it), bound to the relay session it ends with. */
export interface ForwardAuthHandlesTable {
  handle_hash: string;
  session_hash: string;
  created_at: number;
}

export type UserRow = Selectable<UsersTable>;
export type DeviceRow = Selectable<DevicesTable>;
export type SigninRow = Selectable<SigninRequestsTable>;
export type NewSigninRow = Insertable<SigninRequestsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type { Generated };
