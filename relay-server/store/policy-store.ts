import type { Kysely } from 'kysely';
import { DEFAULT_POLICY, PolicySchema, type Policy } from '../../protocol/messages.ts';
import { parse } from '../../protocol/parse.ts';
import type { Database } from './schema.ts';

/** How long another instance may act on a policy an admin has just changed. */
const POLICY_CACHE_MS = 1_000;

/**
 * The single authentication-methods policy; defaults (section 6) until an admin saves one.
 * Read on every sign-in, so it is cached briefly; a save on this instance applies at once.
 */
export class PolicyStore {
  private cached: { policy: Policy; readAt: number } | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** The policy as the sign-in path sees it: at most POLICY_CACHE_MS old, and frozen (shared, not copied per call). */
  async current(): Promise<Readonly<Policy>> {
    const now = performance.now();
    if (this.cached && now - this.cached.readAt < POLICY_CACHE_MS) return this.cached.policy;
    const policy = deepFreeze(await this.get());
    this.cached = { policy, readAt: now };
    return policy;
  }

  /** The policy as stored, for administrators. */
  async get(): Promise<Policy> {
    const row = await this.db.selectFrom('policy').select('body').where('id', '=', 'default').executeTakeFirst();
    if (!row) return structuredClone(DEFAULT_POLICY);
    const parsed = parse(PolicySchema, JSON.parse(row.body));
    return parsed.ok ? parsed.value : structuredClone(DEFAULT_POLICY);
  }

  async put(policy: Policy, now: number): Promise<void> {
    this.cached = undefined;
    const body = JSON.stringify(policy);
    await this.db
      .insertInto('policy')
      .values({ id: 'default', body, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ body, updated_at: now }))
      .execute();
    this.cached = undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
