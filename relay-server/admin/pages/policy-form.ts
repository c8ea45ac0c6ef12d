import type { Policy } from '../../../protocol/messages.ts';
import type { FormFields } from '../../pages/csrf.ts';
import { commaList, formInteger } from './form-fields.ts';

/** The values a policy form shows: the saved policy, or what was posted when it had errors. */
export interface PolicyFormValues {
  enabled: boolean;
  targetsAll: boolean;
  targetGroups: string;
  excludeGroups: string;
  mode: string;
  matchMode: string;
  digits: string;
  showAppName: boolean;
  showLocation: boolean;
  requestTtlSeconds: string;
  maxPushesPer10Min: string;
  maxUnfamiliarPushesPerHour: string;
  lockoutAfterFailures: string;
}

export function policyFormValues(policy: Policy): PolicyFormValues {
  return {
    enabled: policy.enabled,
    targetsAll: policy.targets === 'all',
    targetGroups: policy.targets === 'all' ? '' : policy.targets.join(', '),
    excludeGroups: policy.excludeGroups.join(', '),
    mode: policy.mode,
    matchMode: policy.match.mode,
    digits: String(policy.match.digits),
    showAppName: policy.showAppName,
    showLocation: policy.showLocation,
    requestTtlSeconds: String(policy.requestTtlSeconds),
    maxPushesPer10Min: String(policy.maxPushesPer10Min),
    maxUnfamiliarPushesPerHour: String(policy.maxUnfamiliarPushesPerHour),
    lockoutAfterFailures: String(policy.lockoutAfterFailures),
  };
}

/** What was posted, as typed (unchecked boxes are simply absent). */
export function postedPolicyValues(form: FormFields): PolicyFormValues {
  return {
    enabled: form.value('enabled') === '1',
    targetsAll: form.value('targets') !== 'groups',
    targetGroups: form.value('targetGroups') ?? '',
    excludeGroups: form.value('excludeGroups') ?? '',
    mode: form.value('mode') ?? '',
    matchMode: form.value('matchMode') ?? '',
    digits: form.value('digits') ?? '',
    showAppName: form.value('showAppName') === '1',
    showLocation: form.value('showLocation') === '1',
    requestTtlSeconds: form.value('requestTtlSeconds') ?? '',
    maxPushesPer10Min: form.value('maxPushesPer10Min') ?? '',
    maxUnfamiliarPushesPerHour: form.value('maxUnfamiliarPushesPerHour') ?? '',
    lockoutAfterFailures: form.value('lockoutAfterFailures') ?? '',
  };
}

/** The posted values in the shape of a Policy, for PolicySchema to check. */
export function policyCandidate(values: PolicyFormValues): unknown {
  return {
    enabled: values.enabled,
    targets: values.targetsAll ? 'all' : commaList(values.targetGroups),
    excludeGroups: commaList(values.excludeGroups),
    mode: values.mode,
    match: { mode: values.matchMode, digits: formInteger(values.digits) },
    showAppName: values.showAppName,
    showLocation: values.showLocation,
    requestTtlSeconds: formInteger(values.requestTtlSeconds),
    maxPushesPer10Min: formInteger(values.maxPushesPer10Min),
    maxUnfamiliarPushesPerHour: formInteger(values.maxUnfamiliarPushesPerHour),
    lockoutAfterFailures: formInteger(values.lockoutAfterFailures),
  };
}
