import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { hashSecret } from '../security/secrets.ts';
import type { Database, SessionRow } from './schema.ts';

export const SESSION_LIFETIME_MS = 8 * 3_600_000;

/** Browser sessions; the cookie holds a random id, the table only its digest. */
export class SessionsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(userId: string, amr: string[], now: number): Promise<{ cookieValue: string; csrfToken: string }> {
    const cookieValue = randomId() + randomId();
    const csrfToken = randomId();
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: hashSecret(cookieValue),
        user_id: userId,
        amr: JSON.stringify(amr),
        csrf_token: csrfToken,
        created_at: now,
        expires_at: now + SESSION_LIFETIME_MS,
      })
      .execute();
    return { cookieValue, csrfToken };
  }

  async find(cookieValue: string, now: number): Promise<SessionRow | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id_hash', '=', hashSecret(cookieValue)).executeTakeFirst();
    return row && row.expires_at > now ? row : undefined;
  }

  async remove(cookieValue: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', hashSecret(cookieValue)).execute();
  }

  /**
   * Ends every session of a user ("sign out everywhere", a password change or reset), except
   * the one `keepCookieValue` names (the admin changing their own password stays signed in there).
   * Resolves with how many ended.
   */
  async removeAllOfUser(userId: string, keepCookieValue?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepCookieValue !== undefined) query = query.where('id_hash', '!=', hashSecret(keepCookieValue));
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
