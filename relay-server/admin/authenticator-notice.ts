import type { NoticeKind } from '../../protocol/messages.ts';
import type { RelayDeps } from '../relay-deps.ts';

/**
 * docs/protocol.md sections 3 and 4: when an authenticator is added to or removed from an account,
 * every other active device of the user gets a `notice` naming it, so an authenticator added by
 * someone else does not go unseen. One frame per device, addressed to it (`deviceId` is the
 * receiver's own), through the fan-out, so it reaches devices connected to any instance.
 * The change itself is already stored: a failure here is logged, not thrown at its caller.
 */
export async function noticeOtherAuthenticators(
  deps: Pick<RelayDeps, 'store' | 'fanout' | 'clock' | 'logger'>,
  change: { userId: string; kind: NoticeKind; name: string; deviceId: string },
): Promise<void> {
  const at = deps.clock.now();
  try {
    for (const device of await deps.store.devices.activeOfUser(change.userId)) {
      if (device.id === change.deviceId) continue;
      deps.fanout.sendToDevice(device.id, { type: 'notice', deviceId: device.id, kind: change.kind, name: change.name, at });
    }
  } catch (error) {
    deps.logger.warn(
      { err: error, event: 'notice.failed', kind: change.kind, deviceId: change.deviceId },
      'could not notify the other authenticators',
    );
  }
}
