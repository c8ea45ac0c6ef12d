import { expect } from 'vitest';
import type { SigninHandle } from '../../../testing/admin-client.ts';

/**
 * What an attacker must not be able to change with bad input, read through the admin API: users
 * with their devices, the policy, the sign-in log, and the status of the given pending requests.
 * Log rows of failed password and TAP attempts are left out: those are logged on purpose.
 */
export async function relayState(
  relay: { origin: string; running: { adminToken: string } },
  pending: readonly SigninHandle[] = [],
): Promise<unknown> {
  const read = async (path: string, bearer = relay.running.adminToken) => {
    const response = await fetch(`${relay.origin}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(response.status, `GET ${path}`).toBe(200);
    return response.json();
  };
  const [users, policy, signins, statuses] = await Promise.all([
    read('/api/v1/admin/users'),
    read('/api/v1/admin/policy'),
    read('/api/v1/admin/signins?limit=1000'),
    Promise.all(pending.map((handle) => read(`/api/v1/signins/${handle.requestId}`, handle.browserToken))),
  ]);
  const logged = (signins.signins as Array<{ method?: string }>).filter((row) => row.method !== 'password' && row.method !== 'tap');
  return { users, policy, signins: logged, pending: statuses };
}
