import type { Kysely } from 'kysely';
import { DEFAULT_POLICY, PolicySchema, type Policy } from '../../protocol/messages.ts';
import { parse } from '../../protocol/parse.ts';
import type { Database } from './schema.ts';

/** The single authentication-methods policy; defaults (section 6) until an admin saves one. */
export class PolicyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(): Promise<Policy> {
    const row = await this.db.selectFrom('policy').select('body').where('id', '=', 'default').executeTakeFirst();
    if (!row) return structuredClone(DEFAULT_POLICY);
    const parsed = parse(PolicySchema, JSON.parse(row.body));
    return parsed.ok ? parsed.value : structuredClone(DEFAULT_POLICY);
  }

  async put(policy: Policy, now: number): Promise<void> {
    const body = JSON.stringify(policy);
    await this.db
      .insertInto('policy')
      .values({ id: 'default', body, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ body, updated_at: now }))
      .execute();
  }
}
