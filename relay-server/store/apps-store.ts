import type { Kysely } from 'kysely';
import type { AppsTable, Database } from './schema.ts';

/** A registered app as the relay uses it (docs/protocol.md section 7). */
export interface RegisteredApp {
  clientId: string;
  name: string;
  redirectUris: string[];
  /** Where RP-initiated logout may return to (never given a code). */
  postLogoutRedirectUris: string[];
  /** Back-Channel Logout 1.0 receiver. */
  backchannelLogoutUri: string | null;
  idTokenAlg: 'RS256' | 'ES256';
  public: boolean;
  /** SHA-256 (base64url) of the secret; null for a public client. */
  secretHash: string | null;
  needsConsent: boolean;
  createdAt: number;
}

function fromRow(row: AppsTable): RegisteredApp {
  return {
    clientId: row.client_id,
    name: row.name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    backchannelLogoutUri: row.backchannel_logout_uri,
    idTokenAlg: row.id_token_alg === 'ES256' ? 'ES256' : 'RS256',
    public: row.is_public === 1,
    secretHash: row.secret_hash,
    needsConsent: row.needs_consent === 1,
    createdAt: Number(row.created_at),
  };
}

/** Registered apps and the consents people gave them. */
export class AppsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the app; false when its client id is taken (demo seeding runs on every start). */
  async add(app: RegisteredApp): Promise<boolean> {
    const result = await this.db
      .insertInto('apps')
      .values({
        client_id: app.clientId,
        name: app.name,
        redirect_uris: JSON.stringify(app.redirectUris),
        post_logout_redirect_uris: JSON.stringify(app.postLogoutRedirectUris),
        backchannel_logout_uri: app.backchannelLogoutUri,
        id_token_alg: app.idTokenAlg,
        is_public: app.public ? 1 : 0,
        secret_hash: app.secretHash,
        needs_consent: app.needsConsent ? 1 : 0,
        created_at: app.createdAt,
      })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async byClientId(clientId: string): Promise<RegisteredApp | undefined> {
    const row = await this.db.selectFrom('apps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<RegisteredApp[]> {
    return (await this.db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('client_id').execute()).map(fromRow);
  }

  /** Deletes the app, its consents and every piece of provider state issued to it. */
  async remove(clientId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('app_consents').where('client_id', '=', clientId).execute();
      // Its grants, codes and tokens (refresh tokens too) die with it (docs/protocol.md section 7).
      await trx.deleteFrom('oidc_payloads').where('client_id', '=', clientId).execute();
      await trx.deleteFrom('oidc_session_grants').where('client_id', '=', clientId).execute();
      const result = await trx.deleteFrom('apps').where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  /** Sets where the app may return after RP-initiated logout. */
  async setPostLogoutRedirectUris(clientId: string, uris: string[]): Promise<void> {
    await this.db
      .updateTable('apps')
      .set({ post_logout_redirect_uris: JSON.stringify(uris) })
      .where('client_id', '=', clientId)
      .execute();
  }

  async hasConsent(userId: string, clientId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('app_consents')
      .select('granted_at')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async recordConsent(userId: string, clientId: string, now: number): Promise<void> {
    await this.db
      .insertInto('app_consents')
      .values({ user_id: userId, client_id: clientId, granted_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'client_id']).doNothing())
      .execute();
  }
}
