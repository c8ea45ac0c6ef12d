import type { Kysely } from 'kysely';
import { DevicesStore } from './devices-store.ts';
import { ForwardAuthStore } from './forward-auth-store.ts';
import { migrateToLatest } from './migrations.ts';
import { OidcPayloadsStore } from './oidc-payloads-store.ts';
import { OidcSessionGrantsStore } from './oidc-session-grants-store.ts';
import { OidcSigningKeysStore } from './oidc-signing-keys-store.ts';
import { openPostgres } from './open-postgres.ts';
import { openSqlite } from './open-sqlite.ts';
import { PairingsStore } from './pairings-store.ts';
import { PinStore } from './pin-store.ts';
import { PolicyStore } from './policy-store.ts';
import type { Database } from './schema.ts';
import { SessionsStore } from './sessions-store.ts';
import { SigninsStore } from './signins-store.ts';
import { AppsStore } from './apps-store.ts';
import { TapsStore } from './taps-store.ts';
import { UsersStore } from './users-store.ts';

/** Everything the relay keeps, behind one object so callers never see which database it is. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly users: UsersStore;
  readonly devices: DevicesStore;
  readonly pairings: PairingsStore;
  readonly signins: SigninsStore;
  readonly policy: PolicyStore;
  readonly sessions: SessionsStore;
  readonly taps: TapsStore;
  readonly apps: AppsStore;
  /** PIN keys, attempts and failures, and device sockets (docs/protocol.md sections 4 and 4a). */
  readonly pin: PinStore;
  /** Forward-auth rules and cookie handles (docs/protocol.md section 10). */
  readonly forwardAuth: ForwardAuthStore;
  /** Which relay session each app grant lives under (docs/protocol.md section 9). */
  readonly oidcSessionGrants: OidcSessionGrantsStore;
  /** The OpenID Provider's state: sessions, grants, codes, tokens, interactions (section 9). */
  readonly oidcPayloads: OidcPayloadsStore;
  /** The OpenID Provider's ID token signing keys. */
  readonly oidcSigningKeys: OidcSigningKeysStore;
  close(): Promise<void>;
}

export function storeOver(db: Kysely<Database>): Store {
  return {
    db,
    users: new UsersStore(db),
    devices: new DevicesStore(db),
    pairings: new PairingsStore(db),
    signins: new SigninsStore(db),
    policy: new PolicyStore(db),
    sessions: new SessionsStore(db),
    taps: new TapsStore(db),
    apps: new AppsStore(db),
    pin: new PinStore(db),
    forwardAuth: new ForwardAuthStore(db),
    oidcSessionGrants: new OidcSessionGrantsStore(db),
    oidcPayloads: new OidcPayloadsStore(db),
    oidcSigningKeys: new OidcSigningKeysStore(db),
    close: () => db.destroy(),
  };
}

/** Opens the configured database and brings its schema up to date. */
export async function openStore(options: {
  dataDir: string | ':memory:';
  databaseUrl?: string;
  /** Called once per statement sent to the database (the bench counts them per sign-in through /metrics). */
  onStatement?: () => void;
}): Promise<Store> {
  const log = options.onStatement && ((event: { level: string }) => void (event.level === 'query' && options.onStatement!()));
  const db = options.databaseUrl ? openPostgres(options.databaseUrl, log ? { log } : {}) : openSqlite(options.dataDir, log ? { log } : {});
  await migrateToLatest(db);
  return storeOver(db);
}
