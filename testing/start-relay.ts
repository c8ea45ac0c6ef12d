import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Clock } from '../relay-server/clock.ts';
import { DEFAULT_TIMING, loadConfig, type RelayTiming } from '../relay-server/config.ts';
import { createRelay, type Relay } from '../relay-server/relay.ts';

export interface RunningRelay {
  /** The public origin devices sign for (RELAY_ORIGIN when set, else the address). */
  origin: string;
  /** Where this instance really listens, e.g. http://127.0.0.1:40123; differs from `origin` behind a shared RELAY_ORIGIN. */
  address: string;
  adminToken: string;
  dataDir: string;
  /** The in-process relay, for tests that need to reach inside (expire requests, count sockets). */
  relay: Relay;
  stop(): Promise<void>;
}

export interface StartRelayOptions {
  dataDir?: string;
  demo?: boolean;
  port?: number;
  clock?: Clock;
  timing?: Partial<RelayTiming>;
  env?: Record<string, string>;
  /** Remove the data folder on stop (default: only when this call made it). */
  removeDataDir?: boolean;
}

/**
 * Runs a real relay in this process on 127.0.0.1 (port 0 by default) with its own data folder.
 * For tests and the QA kit; production uses `npm run relay`.
 */
export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'countersign-relay-'));
  const { config } = loadConfig({
    PORT: String(options.port ?? 0),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    COUNTERSIGN_DEMO: options.demo === false ? '0' : '1',
    ...options.env,
  });
  config.timing = { ...DEFAULT_TIMING, ...options.timing };
  const relay = await createRelay({
    config,
    logger: pino({ level: process.env.COUNTERSIGN_TEST_LOG ?? 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const port = await relay.listen();
  const removeDataDir = options.removeDataDir ?? options.dataDir === undefined;
  return {
    origin: relay.origin,
    address: `http://127.0.0.1:${port}`,
    adminToken: config.adminToken,
    dataDir,
    relay,
    async stop() {
      await relay.close();
      if (removeDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
