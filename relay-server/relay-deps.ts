import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { RelayConfig } from './config.ts';
import type { Fanout } from './hub/fanout.ts';
import type { RelayMetrics } from './ops/metrics.ts';
import type { Store } from './store/store.ts';
import type { PinService } from './pin/pin-service.ts';

/**
 * The shared parts every flow is given: everything with state comes in from outside, so tests can
 * build it. Flows add what they own on top (signin/signin-service.ts's `WithSignins`,
 * oidc/openid-provider.ts's `WithOpenId`); app.ts is given all of it.
 */
export interface RelayDeps {
  config: RelayConfig;
  store: Store;
  fanout: Fanout;
  clock: Clock;
  /** The relay's half of the PIN (docs/protocol.md section 4a): OPRF keys and counts. */
  pin: PinService;
  /** The public origin; a function because with port 0 it is known only after listening. */
  relayOrigin: () => string;
  logger: Logger;
  /** Operations endpoints; absent in tests that build a bare app. */
  ops?: { metrics: RelayMetrics; ready(): Promise<boolean> };
}
