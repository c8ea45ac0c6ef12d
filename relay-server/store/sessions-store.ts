import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { hashSecret } from '../security/secrets.ts';
import type { Database, SessionRow } from './schema.ts';

export const SESSION_LIFETIME_MS = 8 * 3_600_000;

/** A relay session that ended (sign-out, sign out everywhere, a password change, another person signing in). */
export interface EndedSession {
  idHash: string;
  userId: string;
}

/** Browser sessions; the cookie holds a random id, the table only its digest. */
export class SessionsStore {
  private readonly endedListeners: ((ended: EndedSession[]) => Promise<void>)[] = [];

  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `listener` after sessions end (the apps signed in under them are told; oidc/openid-provider.ts). */
  onEnded(listener: (ended: EndedSession[]) => Promise<void>): void {
    this.endedListeners.push(listener);
  }

  /**
   * A new session. The one the browser held before (`replacing`, its cookie value) ends; when it
   * was the same person's, it lives on in the new one for the apps signed in under it.
   */
  async create(userId: string, amr: string[], now: number, replacing?: string): Promise<{ cookieValue: string; csrfToken: string }> {
    const cookieValue = randomId() + randomId();
    const csrfToken = randomId();
    const idHash = hashSecret(cookieValue);
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: idHash,
        user_id: userId,
        amr: JSON.stringify(amr),
        csrf_token: csrfToken,
        created_at: now,
        expires_at: now + SESSION_LIFETIME_MS,
      })
      .execute();
    if (replacing !== undefined) {
      const previousHash = hashSecret(replacing);
      const previous = await this.db.selectFrom('sessions').select('user_id').where('id_hash', '=', previousHash).executeTakeFirst();
      if (previous?.user_id === userId) {
        await this.db.updateTable('oidc_session_grants').set({ session_hash: idHash }).where('session_hash', '=', previousHash).execute();
        await this.db.deleteFrom('sessions').where('id_hash', '=', previousHash).execute();
      } else if (previous) {
        await this.remove(replacing);
      }
    }
    return { cookieValue, csrfToken };
  }

  async find(cookieValue: string, now: number): Promise<SessionRow | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id_hash', '=', hashSecret(cookieValue)).executeTakeFirst();
    return row && row.expires_at > now ? row : undefined;
  }

  async remove(cookieValue: string): Promise<void> {
    const ended = await this.db
      .deleteFrom('sessions')
      .where('id_hash', '=', hashSecret(cookieValue))
      .returning(['id_hash', 'user_id'])
      .execute();
    await this.tellEnded(ended);
  }

  /**
   * Ends every session of a user ("sign out everywhere", a password change or reset), except
   * the one `keepCookieValue` names (the admin changing their own password stays signed in there).
   * Resolves with how many ended.
   */
  async removeAllOfUser(userId: string, keepCookieValue?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepCookieValue !== undefined) query = query.where('id_hash', '!=', hashSecret(keepCookieValue));
    const ended = await query.returning(['id_hash', 'user_id']).execute();
    await this.tellEnded(ended);
    return ended.length;
  }

  private async tellEnded(rows: { id_hash: string; user_id: string }[]): Promise<void> {
    if (rows.length === 0) return;
    const ended = rows.map((row) => ({ idHash: row.id_hash, userId: row.user_id }));
    for (const listener of this.endedListeners) await listener(ended);
  }
}
