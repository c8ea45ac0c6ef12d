import type { Kysely } from 'kysely';
import type { Database, OidcSessionGrantsTable } from './schema.ts';

export type SessionGrant = OidcSessionGrantsTable;

/**
 * Which relay session each app grant was made under (docs/protocol.md section 9): the grant, its
 * refresh tokens and the app's session (`sid`) end with that relay session.
 */
export class OidcSessionGrantsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records (or moves) a grant to the relay session it was last used under. */
  async record(grant: SessionGrant): Promise<void> {
    const { grant_id: _grantId, ...changes } = grant;
    await this.db
      .insertInto('oidc_session_grants')
      .values(grant)
      .onConflict((oc) => oc.column('grant_id').doUpdateSet(changes))
      .execute();
  }

  async ofSessions(sessionHashes: string[]): Promise<SessionGrant[]> {
    if (sessionHashes.length === 0) return [];
    return this.db.selectFrom('oidc_session_grants').selectAll().where('session_hash', 'in', sessionHashes).execute();
  }

  /** Whether the grant's relay session is still alive: a refresh token of a grant without one is dead. */
  async liveSession(grantId: string, now: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('oidc_session_grants')
      .innerJoin('sessions', 'sessions.id_hash', 'oidc_session_grants.session_hash')
      .select('sessions.expires_at')
      .where('oidc_session_grants.grant_id', '=', grantId)
      .executeTakeFirst();
    return row !== undefined && Number(row.expires_at) > now;
  }

  /**
   * Ends the grants (and every token and code issued under them) of the given relay sessions.
   * Returns what ended, for the back-channel logouts.
   */
  async endSessions(sessionHashes: string[]): Promise<SessionGrant[]> {
    const ended = await this.ofSessions(sessionHashes);
    if (ended.length === 0) return [];
    const grantIds = ended.map((row) => row.grant_id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_payloads').where('grant_id', 'in', grantIds).execute();
      await trx.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', 'in', grantIds).execute();
      await trx.deleteFrom('oidc_session_grants').where('grant_id', 'in', grantIds).execute();
    });
    return ended;
  }
}
