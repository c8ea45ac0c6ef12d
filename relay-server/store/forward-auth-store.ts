import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { hashSecret } from '../security/secrets.ts';
import type { Database } from './schema.ts';

export interface ForwardAuthRule {
  host: string;
  groups: string[];
  policy: 'session' | 'approval';
  maxAgeSeconds: number;
}

/** What one forward-auth handle stands for: the person and their relay session. */
export interface ForwardAuthHolder {
  userId: string;
  upn: string;
  displayName: string;
  /** Empty when the user has none. */
  email: string;
  groups: string[];
  amr: string[];
  sessionCreatedAt: number;
  sessionExpiresAt: number;
}

/** Forward-auth rules and cookie handles (docs/protocol.md section 10). */
export class ForwardAuthStore {
  constructor(private readonly db: Kysely<Database>) {}

  async rules(): Promise<ForwardAuthRule[]> {
    const rows = await this.db.selectFrom('forward_auth_rules').selectAll().orderBy('position').execute();
    return rows.map((row) => ({
      host: row.host,
      groups: JSON.parse(row.groups) as string[],
      policy: row.policy,
      maxAgeSeconds: Number(row.max_age_seconds),
    }));
  }

  /** Replaces every rule at once (the admin API's PUT). */
  async replaceRules(rules: readonly ForwardAuthRule[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('forward_auth_rules').execute();
      if (rules.length === 0) return;
      await trx
        .insertInto('forward_auth_rules')
        .values(
          rules.map((rule, position) => ({
            host: rule.host,
            groups: JSON.stringify(rule.groups),
            policy: rule.policy,
            max_age_seconds: rule.maxAgeSeconds,
            position,
          })),
        )
        .execute();
    });
  }

  /** A new handle for the relay session whose cookie is `sessionCookie`; the raw handle goes into the cookie only. */
  async mintHandle(sessionCookie: string, now: number): Promise<string> {
    const handle = randomId() + randomId();
    await this.db
      .insertInto('forward_auth_handles')
      .values({ handle_hash: hashSecret(handle), session_hash: hashSecret(sessionCookie), created_at: now })
      .execute();
    return handle;
  }

  /** Who holds `handle`, while its relay session lasts; undefined once the session ended or expired. */
  async holder(handle: string, now: number): Promise<ForwardAuthHolder | undefined> {
    const row = await this.db
      .selectFrom('forward_auth_handles')
      .innerJoin('sessions', 'sessions.id_hash', 'forward_auth_handles.session_hash')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'users.id as userId',
        'users.upn as upn',
        'users.display_name as displayName',
        'users.email as email',
        'sessions.amr as amr',
        'sessions.created_at as createdAt',
        'sessions.expires_at as expiresAt',
      ])
      .where('forward_auth_handles.handle_hash', '=', hashSecret(handle))
      .executeTakeFirst();
    if (!row || Number(row.expiresAt) <= now) return undefined;
    const groups = await this.db
      .selectFrom('user_groups')
      .innerJoin('groups', 'groups.id', 'user_groups.group_id')
      .select('groups.name')
      .where('user_groups.user_id', '=', row.userId)
      .orderBy('groups.name')
      .execute();
    return {
      userId: row.userId,
      upn: row.upn,
      displayName: row.displayName,
      email: row.email ?? '',
      groups: groups.map((group) => group.name),
      amr: JSON.parse(row.amr) as string[],
      sessionCreatedAt: Number(row.createdAt),
      sessionExpiresAt: Number(row.expiresAt),
    };
  }
}
