import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { hashSecret, matchesDigest } from '../security/secrets.ts';
import type { Database } from './schema.ts';

/** Temporary Access Passes: time-limited codes an admin issues in place of a password. */
export class TapsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async issue(userId: string, lifetimeMs: number, oneTime: boolean, now: number): Promise<{ code: string; expiresAt: number }> {
    const code = randomId();
    const expiresAt = now + lifetimeMs;
    await this.db
      .insertInto('temporary_access_passes')
      .values({
        id: randomId(),
        user_id: userId,
        code_hash: hashSecret(code),
        one_time: oneTime ? 1 : 0,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return { code, expiresAt };
  }

  /** Uses a pass if it is valid now; a one-time pass is claimed with a conditional update so it works once. */
  async use(userId: string, code: string, now: number): Promise<boolean> {
    const passes = await this.db
      .selectFrom('temporary_access_passes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .execute();
    const match = passes.find((pass) => matchesDigest(code, pass.code_hash));
    if (!match) return false;
    if (!match.one_time) return true;
    const claimed = await this.db
      .updateTable('temporary_access_passes')
      .set({ used_at: now })
      .where('id', '=', match.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }
}
