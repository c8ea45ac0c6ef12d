import type { DeviceHub } from './hub/device-hub.ts';
import type { RedisFanout } from './hub/redis-fanout.ts';
import { statusOf } from './signin/signin-service.ts';
import type { Store } from './store/store.ts';

/**
 * After Redis comes back, makes up for what was published while this instance was not
 * subscribed (pub/sub keeps nothing): the devices here get the challenges still pending for
 * them, and the browsers waiting here get the status of every request settled meanwhile. Both
 * are read from the database, which every instance writes before it publishes.
 */
export async function catchUpAfterRedis(deps: { hub: DeviceHub; fanout: RedisFanout; store: Store }): Promise<void> {
  const { hub, fanout, store } = deps;
  await hub.resendPendingChallenges();
  for (const requestId of fanout.waitingRequestIds()) {
    const row = await store.signins.byId(requestId);
    if (row && row.status !== 'pending') fanout.notifyHere(requestId, statusOf(row));
  }
}
