import type { Policy } from '../../protocol/messages.ts';

export type PushFlow = 'passwordless' | 'push_after_password';

/** Whether the policy gives this user a push at all: enabled, targeted, not excluded. */
export function isTargeted(policy: Policy, groups: readonly string[]): boolean {
  if (!policy.enabled) return false;
  if (groups.some((group) => policy.excludeGroups.includes(group))) return false;
  return policy.targets === 'all' || groups.some((group) => (policy.targets as string[]).includes(group));
}

/** Whether `isTargeted` depends on the user's groups at all; when not, they need not be read. */
export function targetsByGroup(policy: Policy): boolean {
  return policy.targets !== 'all' || policy.excludeGroups.length > 0;
}

/** `push` = approval after a password, `passwordless` = approval instead of one, `any` = both. */
export function allowsFlow(policy: Policy, flow: PushFlow): boolean {
  if (policy.mode === 'any') return true;
  return flow === 'passwordless' ? policy.mode === 'passwordless' : policy.mode === 'push';
}
