import type { ForwardAuthHolder, ForwardAuthRule } from '../store/forward-auth-store.ts';

/**
 * What the check answers for one request (docs/protocol.md section 10): `allow`, `signin` (401 or
 * 302; `stepUp` when the session is good but its approval too old for the rule) or `forbid` (403).
 */
export type ForwardAuthDecision =
  | { kind: 'allow'; holder: ForwardAuthHolder }
  | { kind: 'signin'; stepUp: boolean }
  | { kind: 'forbid'; reason: 'no_rule' | 'not_in_groups' };

/** When the person last approved on an authenticator in this session: the session began with that approval. */
export function approvedAt(holder: Pick<ForwardAuthHolder, 'amr' | 'sessionCreatedAt'>): number | undefined {
  return holder.amr.includes('swk') ? holder.sessionCreatedAt : undefined;
}

export function decide(rule: ForwardAuthRule | undefined, holder: ForwardAuthHolder | undefined, now: number): ForwardAuthDecision {
  if (!rule) return { kind: 'forbid', reason: 'no_rule' };
  if (!holder || holder.sessionExpiresAt <= now) return { kind: 'signin', stepUp: false };
  if (rule.groups.length > 0 && !rule.groups.some((group) => holder.groups.includes(group))) {
    return { kind: 'forbid', reason: 'not_in_groups' };
  }
  if (!approvalFreshEnough(rule, holder, now)) return { kind: 'signin', stepUp: true };
  return { kind: 'allow', holder };
}

/** Whether a session satisfies a rule's approval policy (the sign-in page's step-up asks again when not). */
export function approvalFreshEnough(
  rule: ForwardAuthRule,
  holder: Pick<ForwardAuthHolder, 'amr' | 'sessionCreatedAt'>,
  now: number,
): boolean {
  if (rule.policy !== 'approval') return true;
  const at = approvedAt(holder);
  return at !== undefined && now - at < rule.maxAgeSeconds * 1000;
}
