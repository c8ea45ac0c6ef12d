import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withSecurityHeaders } from './http/security-headers.ts';
import { getRequestListener } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { createApp } from './app.ts';
import { systemClock, type Clock } from './clock.ts';
import type { RelayConfig } from './config.ts';
import { DeviceHub } from './hub/device-hub.ts';
import { InProcessFanout, type Fanout } from './hub/fanout.ts';
import { RedisFanout } from './hub/redis-fanout.ts';
import { catchUpAfterRedis } from './catch-up-after-redis.ts';
import { RelayMetrics } from './ops/metrics.ts';
import { sql } from 'kysely';
import { seedDemo } from './demo/seed-demo.ts';
import { locateLocalOnly, type LocateIp } from './signin/locate-ip.ts';
import { openGeoipLocator } from './signin/geoip-locate.ts';
import { webhookSender } from './ops/webhook.ts';
import { SigninService } from './signin/signin-service.ts';
import { openStore } from './store/store.ts';
import { OpenIdProvider } from './oidc/openid-provider.ts';
import { AuthRequestCaps } from './oidc/auth-request-caps.ts';
import type { Store } from './store/store.ts';
import { PinService } from './pin/pin-service.ts';
import { noticeUserAuthenticators } from './devices/authenticator-notice.ts';
import { DeviceSelfRemoval } from './devices/device-self-removal.ts';
import { PinSealingKey, checkPinSealingKey, readOrCreatePinKeyFile } from './pin/pin-sealing-key.ts';

export interface RelayOptions {
  config: RelayConfig;
  clock?: Clock;
  logger?: Logger;
  store?: Store;
  fanout?: Fanout;
  locate?: LocateIp;
}

export interface Relay {
  readonly app: ReturnType<typeof createApp>;
  readonly hub: DeviceHub;
  readonly signins: SigninService;
  readonly pin: PinService;
  readonly store: Store;
  readonly fanout: Fanout;
  readonly openid: OpenIdProvider;
  readonly origin: string;
  /** Starts serving HTTP and device sockets; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, closes device sockets with 1012, finishes writes in flight, closes the store. */
  close(): Promise<void>;
}

/** Wires store, fan-out, sign-in service, device hub and app together; the one place that does. */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? pino({ level: config.logLevel, redact: ['password', '*.password', 'token', '*.token', 'number', '*.number'] });
  let hub: DeviceHub | undefined;
  const metrics = new RelayMetrics(() => hub?.connectedDevices ?? 0);
  const store =
    options.store ??
    (await openStore({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      onStatement: () => metrics.databaseStatements.inc(),
    }));
  const fanout =
    options.fanout ??
    (config.redisUrl
      ? new RedisFanout(
          config.redisUrl,
          (error) => logger.warn({ err: error }, 'redis error'),
          () => metrics.redisCommands.inc(),
        )
      : new InProcessFanout());
  if (fanout instanceof RedisFanout) await fanout.ready;
  const sendWebhook =
    config.webhookUrl && config.webhookSecret ? webhookSender(config.webhookUrl, config.webhookSecret, logger) : undefined;
  let origin = config.relayOrigin ?? `http://${config.host}:${config.port}`;
  const relayOrigin = () => origin;
  // The key sealing OPRF keys never lives in the database (pin/pin-sealing-key.ts).
  const sealingKey = new PinSealingKey(config.pinKey ?? readOrCreatePinKeyFile(config.dataDir));
  await checkPinSealingKey(store.db, sealingKey);
  const pin = new PinService({
    store,
    fanout,
    clock,
    logger,
    relayOrigin,
    sealingKey,
    noticeUser: (change) => noticeUserAuthenticators({ store, fanout, clock, logger }, change),
  });
  const signins = new SigninService({
    store,
    fanout,
    clock,
    relayOrigin,
    locate: options.locate ?? (config.geoipDatabase ? await openGeoipLocator(config.geoipDatabase) : locateLocalOnly),
    onSecurityEvent: (event) => {
      logger.warn({ event: event.type, upn: event.upn, requestId: event.requestId, ip: event.ip }, 'security event');
      if (sendWebhook) void sendWebhook(event);
    },
    pinApprovals: pin,
    metrics,
  });
  hub = new DeviceHub({
    store,
    fanout,
    clock,
    timing: config.timing,
    relayOrigin,
    handlers: signins,
    pin,
    removal: new DeviceSelfRemoval({ store, fanout, clock, logger, relayOrigin }),
    onError: (error) => logger.error({ err: error }, 'device frame failed'),
    trustedProxies: config.trustProxy,
    ...(config.socketLimits ? { socketLimits: config.socketLimits } : {}),
  });
  if (fanout instanceof RedisFanout) {
    const caughtUp = { hub, fanout, store };
    fanout.onResubscribed(() => {
      catchUpAfterRedis(caughtUp).then(
        () => logger.info('redis is back: pending challenges and settled statuses sent again'),
        (error: unknown) => logger.error({ err: error }, 'catching up after redis failed'),
      );
    });
  }
  const ready = async () => {
    try {
      await sql`select 1`.execute(store.db);
    } catch {
      return false;
    }
    return fanout instanceof RedisFanout ? fanout.ping() : true;
  };
  const authCaps = new AuthRequestCaps({
    interactions: store.oidcPayloads,
    now: () => clock.now(),
    trustedProxies: config.trustProxy,
    familiar: (cookie, key) => signins.familiar.resolve(cookie, key),
  });
  const openid = new OpenIdProvider({ store, clock, logger, issuer: relayOrigin, behindProxy: config.trustProxy > 0, authCaps });
  const app = createApp({ config, store, fanout, clock, signins, pin, relayOrigin, logger, ops: { metrics, ready }, openid });
  if (config.demo) await seedDemo(store, clock);

  let server: Server | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  const deviceHub = hub;
  return {
    app,
    hub: deviceHub,
    signins,
    pin,
    store,
    fanout,
    openid,
    get origin() {
      return origin;
    },
    listen() {
      return new Promise((resolve, reject) => {
        // One server, one port: the OpenID Provider (Koa) is one of the app's routes (oidc/provider-routes.ts).
        const listening = createServer(withSecurityHeaders(getRequestListener(app.fetch)));
        listening.listen(config.port, config.host, () => {
          const port = (listening.address() as AddressInfo).port;
          if (!config.relayOrigin) origin = `http://${config.host}:${port}`;
          sweeper = setInterval(() => {
            signins.expireDue().catch((error: unknown) => logger.error({ err: error }, 'expiry sweep failed'));
            signins.familiar.sweep().catch((error: unknown) => logger.error({ err: error }, 'familiar browser sweep failed'));
            pin.sweep().catch((error: unknown) => logger.error({ err: error }, 'PIN attempt sweep failed'));
            store.oidcPayloads
              .sweepExpired(clock.now())
              .catch((error: unknown) => logger.error({ err: error }, 'openid state sweep failed'));
          }, config.timing.expirySweepMs);
          sweeper.unref();
          resolve(port);
        });
        server = listening;
        listening.once('error', reject);
        listening.on('upgrade', (request, socket, head) => {
          if (!deviceHub.handleUpgrade(request, socket, head)) socket.destroy();
        });
      });
    },
    async close() {
      clearInterval(sweeper);
      const closed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeIdleConnections();
      await deviceHub.shutdown();
      server?.closeAllConnections();
      await closed;
      await fanout.close();
      await store.close();
    },
  };
}
