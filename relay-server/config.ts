import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomId } from '../protocol/encoding.ts';
import { normalizeOrigin } from '../protocol/pairing-link.ts';

export interface RelayConfig {
  port: number;
  host: string;
  /** Public origin; when unset it follows the bound port (`http://{host}:{port}`). */
  relayOrigin: string | undefined;
  relayName: string;
  dataDir: string;
  adminToken: string;
  demo: boolean;
  /** Honour X-Forwarded-For from a reverse proxy for the request's IP. */
  trustProxy: boolean;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  geoipDatabase: string | undefined;
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  logLevel: string;
  timing: RelayTiming;
}

/** Intervals the hub and sweeper use; tests shrink them instead of waiting real seconds. */
export interface RelayTiming {
  authTimeoutMs: number;
  pingIntervalMs: number;
  expirySweepMs: number;
}

export const DEFAULT_TIMING: RelayTiming = { authTimeoutMs: 10_000, pingIntervalMs: 20_000, expirySweepMs: 1_000 };

export class ConfigError extends Error {}

export interface LoadedConfig {
  config: RelayConfig;
  /** True when ADMIN_TOKEN was unset and a new one was generated and stored. */
  adminTokenCreated: boolean;
}

/** Reads and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined>): LoadedConfig {
  const problems: string[] = [];
  const port = integerVar(env, 'PORT', 8787, 0, 65535, problems);
  const host = env.HOST?.trim() || '127.0.0.1';
  let relayOrigin: string | undefined;
  if (env.RELAY_ORIGIN) {
    relayOrigin = normalizeOrigin(env.RELAY_ORIGIN) ?? undefined;
    if (!relayOrigin || relayOrigin !== env.RELAY_ORIGIN) {
      problems.push('RELAY_ORIGIN must be an http(s) origin like https://signin.example.com (no path, no trailing slash)');
    }
  }
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const demo = booleanVar(env, 'COUNTERSIGN_DEMO', problems);
  const trustProxy = booleanVar(env, 'TRUST_PROXY', problems);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }
  if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters');
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) problems.push('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  let adminToken = env.ADMIN_TOKEN;
  let adminTokenCreated = false;
  if (!adminToken) {
    ({ adminToken, adminTokenCreated } = readOrCreateAdminToken(dataDir));
  }
  return {
    adminTokenCreated,
    config: {
      port,
      host,
      relayOrigin,
      relayName: env.RELAY_NAME?.trim() || 'Countersign',
      dataDir,
      adminToken,
      demo,
      trustProxy,
      databaseUrl: env.DATABASE_URL || undefined,
      redisUrl: env.REDIS_URL || undefined,
      geoipDatabase: env.GEOIP_DATABASE || undefined,
      webhookUrl: env.WEBHOOK_URL || undefined,
      webhookSecret: env.WEBHOOK_SECRET || undefined,
      logLevel,
      timing: DEFAULT_TIMING,
    },
  };
}

function readOrCreateAdminToken(dataDir: string): { adminToken: string; adminTokenCreated: boolean } {
  const file = path.join(dataDir, 'admin-token');
  if (existsSync(file)) return { adminToken: readFileSync(file, 'utf8').trim(), adminTokenCreated: false };
  mkdirSync(dataDir, { recursive: true });
  const adminToken = randomId() + randomId();
  writeFileSync(file, adminToken + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { adminToken, adminTokenCreated: true };
}

function integerVar(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

function booleanVar(env: Record<string, string | undefined>, name: string, problems: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  problems.push(`${name} must be 1 or 0`);
  return false;
}
