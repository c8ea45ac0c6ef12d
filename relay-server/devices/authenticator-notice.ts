import type { Logger } from 'pino';
import type { NoticeKind } from '../../protocol/messages.ts';
import type { Clock } from '../clock.ts';
import type { Fanout } from '../hub/fanout.ts';
import type { Store } from '../store/store.ts';

/** What a notice needs; named here so the PIN service can send notices without the whole RelayDeps. */
export interface NoticeDeps {
  store: Store;
  fanout: Fanout;
  clock: Clock;
  logger: Logger;
}

/**
 * docs/protocol.md sections 3 and 4: when an authenticator is added to or removed from an account,
 * every other active device of the user gets a `notice` naming it, so an authenticator added by
 * someone else does not go unseen. One frame per device, addressed to it (`deviceId` is the
 * receiver's own), through the fan-out, so it reaches devices connected to any instance.
 * The change itself is already stored: a failure here is logged, not thrown at its caller.
 */
export async function noticeOtherAuthenticators(
  deps: NoticeDeps,
  change: { userId: string; kind: NoticeKind; name: string; deviceId: string },
): Promise<void> {
  await noticeUserAuthenticators(deps, { userId: change.userId, kind: change.kind, name: change.name, exceptDeviceId: change.deviceId });
}

/**
 * The same to every active device of the user but `exceptDeviceId` (null: all of them, as for
 * `pin_failure` and `pin_locked`, which the device concerned gets too, section 4a).
 */
export async function noticeUserAuthenticators(
  deps: NoticeDeps,
  change: { userId: string; kind: NoticeKind; name: string; exceptDeviceId: string | null },
): Promise<void> {
  const at = deps.clock.now();
  try {
    for (const device of await deps.store.devices.activeOfUser(change.userId)) {
      if (device.id === change.exceptDeviceId) continue;
      deps.fanout.sendToDevice(device.id, { type: 'notice', deviceId: device.id, kind: change.kind, name: change.name, at });
    }
  } catch (error) {
    deps.logger.warn(
      { err: error, event: 'notice.failed', kind: change.kind, userId: change.userId },
      'could not notify the other authenticators',
    );
  }
}
