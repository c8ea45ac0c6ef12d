import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { secretsEqual } from '../security/secrets.ts';

/**
 * Whether a request may read /metrics: with METRICS_TOKEN set, only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time); without, anyone who can
 * reach the relay (README: keep HOST on loopback or set the token).
 */
export function metricsAllowed(metricsToken: string | undefined, authorization: string | undefined): boolean {
  if (metricsToken === undefined) return true;
  const presented = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
  return presented !== undefined && secretsEqual(presented, metricsToken);
}

/** Prometheus metrics: connected devices, pushes, decisions by outcome, push round-trip latency. */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly pushes = new Counter({ name: 'countersign_pushes_total', help: 'Challenges pushed to devices', registers: [this.registry] });
  readonly signins = new Counter({
    name: 'countersign_signin_requests_total',
    help: 'Sign-in requests created',
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'countersign_decisions_total',
    help: 'Settled sign-in requests by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly roundTrip = new Histogram({
    name: 'countersign_push_round_trip_seconds',
    help: 'From sign-in request to the device decision',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  /** What a sign-in costs the shared services, counted at the clients (docs/performance.md). */
  readonly databaseStatements = new Counter({
    name: 'countersign_database_statements_total',
    help: 'Statements sent to the database, transaction control included',
    registers: [this.registry],
  });
  readonly redisCommands = new Counter({
    name: 'countersign_redis_commands_total',
    help: 'Commands sent to Redis (publishes and subscriptions)',
    registers: [this.registry],
  });

  constructor(connectedDevices: () => number) {
    new Gauge({
      name: 'countersign_connected_devices',
      help: 'Devices with an authenticated socket on this instance',
      registers: [this.registry],
      collect() {
        this.set(connectedDevices());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_' });
  }
}
