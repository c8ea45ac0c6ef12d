import { Hono } from 'hono';
import { ApiError } from '../api-error.ts';
import { requireAdminToken } from '../http/admin-bearer.ts';
import { readJson } from '../http/read-json.ts';
import type { RelayDeps } from '../relay-deps.ts';
import type { ForwardAuthRule } from '../store/forward-auth-store.ts';
import { ForwardAuthRulesBody, checkRules, type RuleScope } from './forward-auth-rules.ts';
import { ForwardAuth } from './forward-auth.ts';
import { normalizeHostname } from '../http/hostname.ts';

/** Where this relay's rule hosts may lie (forward-auth-rules.ts). */
export function ruleScope(deps: RelayDeps): RuleScope {
  return { cookieDomain: deps.config.cookieDomain, relayHost: normalizeHostname(new URL(deps.relayOrigin()).host) ?? '' };
}

/** A rule as the API shows it: `maxAgeSeconds` only for `approval`, where it means something. */
export function ruleView(rule: ForwardAuthRule) {
  return {
    host: rule.host,
    groups: rule.groups,
    policy: rule.policy,
    ...(rule.policy === 'approval' ? { maxAgeSeconds: rule.maxAgeSeconds } : {}),
  };
}

/** Checks and saves a whole set of rules; the same for the API and the admin page. */
export async function saveRules(deps: RelayDeps, input: unknown) {
  const checked = checkRules(input, ruleScope(deps));
  if (!checked.ok) return checked;
  await deps.store.forwardAuth.replaceRules(checked.rules);
  ForwardAuth.of(deps).rules.invalidate();
  deps.logger.info({ event: 'forward_auth.rules_saved', hosts: checked.rules.map((rule) => rule.host) }, 'forward-auth rules saved');
  return checked;
}

/** `GET`/`PUT /api/v1/admin/forward-auth` (docs/protocol.md section 10), behind the admin token. */
export function rulesApiRoutes(deps: RelayDeps) {
  return new Hono()
    .use('*', requireAdminToken(deps.config.adminToken))
    .get('/', async (c) => c.json({ rules: (await deps.store.forwardAuth.rules()).map(ruleView) }))
    .put('/', async (c) => {
      const body = await readJson(c, ForwardAuthRulesBody);
      const saved = await saveRules(deps, body);
      if (!saved.ok) throw Object.assign(new ApiError(400, 'invalid_request', saved.message), { field: saved.field });
      return c.json({ rules: saved.rules.map(ruleView) });
    });
}
