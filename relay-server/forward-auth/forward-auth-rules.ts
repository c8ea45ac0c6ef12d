import * as v from 'valibot';
import { GroupListSchema } from '../../protocol/admin-messages.ts';
import { parse } from '../../protocol/parse.ts';
import type { ForwardAuthRule, ForwardAuthStore } from '../store/forward-auth-store.ts';
import { isUnderDomain, normalizeHostname } from '../http/hostname.ts';

/** `approval` rules ask for a push again after this long unless they say otherwise (12 hours). */
export const DEFAULT_APPROVAL_MAX_AGE_SECONDS = 43_200;
/** An approval may be asked for at most every 30 seconds, at least once in 30 days. */
export const MIN_APPROVAL_MAX_AGE_SECONDS = 30;
export const MAX_APPROVAL_MAX_AGE_SECONDS = 30 * 86_400;
export const MAX_RULES = 500;

const RuleSchema = v.object({
  host: v.pipe(v.string(), v.minLength(1), v.maxLength(255)),
  groups: v.optional(GroupListSchema, []),
  policy: v.picklist(['session', 'approval']),
  maxAgeSeconds: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(MIN_APPROVAL_MAX_AGE_SECONDS), v.maxValue(MAX_APPROVAL_MAX_AGE_SECONDS)),
  ),
});

/** `PUT /api/v1/admin/forward-auth` (docs/protocol.md section 10). */
export const ForwardAuthRulesBody = v.object({ rules: v.pipe(v.array(RuleSchema), v.maxLength(MAX_RULES)) });

/** Where rule hosts may lie: under COOKIE_DOMAIN, or the relay's own host when it is unset. */
export interface RuleScope {
  cookieDomain: string | undefined;
  relayHost: string;
}

export type RulesCheck = { ok: true; rules: ForwardAuthRule[] } | { ok: false; field: string; message: string };

/**
 * Checks and normalizes a set of rules: each host a hostname (compared as section 1 says, so
 * `Dash.Example.com.` is `dash.example.com`), named once, inside the scope the forward-auth cookie
 * reaches; groups without repeats; `maxAgeSeconds` only matters to `approval`, which defaults it.
 */
export function checkRules(input: unknown, scope: RuleScope): RulesCheck {
  const parsed = parse(ForwardAuthRulesBody, input);
  if (!parsed.ok) return parsed;
  const seen = new Set<string>();
  const rules: ForwardAuthRule[] = [];
  for (const [index, rule] of parsed.value.rules.entries()) {
    const field = `rules.${index}.host`;
    const host = normalizeHostname(rule.host);
    if (!host) {
      return { ok: false, field, message: `${field} is invalid: must be a hostname like app.example.com (no scheme or path)` };
    }
    if (seen.has(host)) return { ok: false, field, message: `${field} is invalid: ${host} is named by an earlier rule` };
    const inScope = scope.cookieDomain ? isUnderDomain(host, scope.cookieDomain) : host === scope.relayHost;
    if (!inScope) {
      const where = scope.cookieDomain
        ? `under COOKIE_DOMAIN (${scope.cookieDomain})`
        : `the relay's own host (${scope.relayHost}) while COOKIE_DOMAIN is unset`;
      return { ok: false, field, message: `${field} is invalid: must be ${where}, where the forward-auth cookie reaches` };
    }
    seen.add(host);
    rules.push({
      host,
      groups: [...new Set(rule.groups)],
      policy: rule.policy,
      maxAgeSeconds: rule.maxAgeSeconds ?? DEFAULT_APPROVAL_MAX_AGE_SECONDS,
    });
  }
  return { ok: true, rules };
}

/** How long an instance trusts its copy of the rules; a change on another instance shows within it. */
const RULES_CACHE_MS = 1_000;

/** The rules by host, read from the store at most once a second (the check runs before every proxied request). */
export class RulesCache {
  private cached: { at: number; byHost: Map<string, ForwardAuthRule> } | undefined;
  private loading: Promise<Map<string, ForwardAuthRule>> | undefined;

  constructor(
    private readonly store: ForwardAuthStore,
    /** Real time, not the relay's clock: this is about how stale a copy is. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  async byHost(): Promise<Map<string, ForwardAuthRule>> {
    const cached = this.cached;
    if (cached && this.now() - cached.at < RULES_CACHE_MS) return cached.byHost;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Forgets the copy at once (this instance just saved new rules). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<Map<string, ForwardAuthRule>> {
    const byHost = new Map((await this.store.rules()).map((rule) => [rule.host, rule]));
    this.cached = { at: this.now(), byHost };
    return byHost;
  }
}
