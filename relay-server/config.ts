import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomId } from '../protocol/encoding.ts';
import { isLoopbackHost } from '../protocol/loopback-host.ts';
import { normalizeOrigin } from '../protocol/pairing-link.ts';
import { ensurePrivateDir, makePrivate, wideDataDirWarning } from './store/private-files.ts';
import { parsePinKey } from './pin/pin-sealing-key.ts';
import { TrustedProxies } from './http/trusted-proxies.ts';
import { normalizeHostname, isUnderDomain } from './http/hostname.ts';

export interface RelayConfig {
  port: number;
  host: string;
  /** Public origin; when unset it follows the bound port (`http://{host}:{port}`). */
  relayOrigin: string | undefined;
  relayName: string;
  dataDir: string;
  adminToken: string;
  demo: boolean;
  /**
   * How many reverse proxies of our own stand in front (TRUST_PROXY, 0..10): the client's address
   * is the Nth X-Forwarded-For entry from the right (http/client-context.ts); 0 ignores the header.
   */
  trustProxy: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  geoipDatabase: string | undefined;
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token (ops/metrics.ts). */
  metricsToken: string | undefined;
  logLevel: string;
  timing: RelayTiming;
  /**
   * PIN_KEY or PIN_KEY_FILE: the key sealing devices' OPRF keys (pin/pin-sealing-key.ts). Unset:
   * `DATA_DIR/pin-key`, made at first start. Instances sharing a database must share it.
   */
  pinKey?: Buffer | undefined;
  /** FORWARD_AUTH_PROXIES: the socket peers the forward-auth check answers (default: loopback). */
  forwardAuthProxies?: TrustedProxies | undefined;
  /** COOKIE_DOMAIN: the forward-auth cookie's Domain (docs/protocol.md section 10); unset: host-only. */
  cookieDomain?: string | undefined;
  /** Per-address device socket caps (hub/device-hub.ts); unset parts keep their defaults. */
  socketLimits?: { unauthenticatedPerClient?: number; newPerSecondPerClient?: number; newBurstPerClient?: number };
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
  /** Things the operator allowed but should hear about at start (main.ts prints them). */
  warnings: string[];
}

/** Reads and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined>): LoadedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const port = integerVar(env, 'PORT', 8787, 0, 65535, problems);
  const host = env.HOST?.trim() || '127.0.0.1';
  const allowInsecureOrigin = booleanVar(env, 'ALLOW_INSECURE_ORIGIN', problems);
  // Devices pair only with https relays, or http on loopback (docs/protocol.md section 3); anything
  // else would also carry sessions and browser tokens in clear.
  const insecure = (why: string) => {
    if (allowInsecureOrigin) {
      warnings.push(
        `${why} (allowed by ALLOW_INSECURE_ORIGIN=1): sessions and tokens travel unencrypted, and devices will not pair with this relay. Use https outside a test network.`,
      );
    } else {
      problems.push(
        `${why}: use an https RELAY_ORIGIN (devices pair only with https relays, or http on 127.0.0.1, [::1] or localhost), or set ALLOW_INSECURE_ORIGIN=1 for a test network`,
      );
    }
  };
  let relayOrigin: string | undefined;
  if (env.RELAY_ORIGIN) {
    relayOrigin = normalizeOrigin(env.RELAY_ORIGIN) ?? undefined;
    if (!relayOrigin || relayOrigin !== env.RELAY_ORIGIN) {
      problems.push('RELAY_ORIGIN must be an http(s) origin like https://signin.example.com (no path, no trailing slash)');
    } else if (isInsecureOrigin(relayOrigin)) {
      insecure(`RELAY_ORIGIN ${relayOrigin} is plain http on a host that is not loopback`);
    }
  } else if (!isLoopbackHost(host) && !isLoopbackHost(`[${host}]`)) {
    // Without RELAY_ORIGIN the origin is http://{HOST}:{PORT}.
    insecure(`HOST ${host} is not loopback and RELAY_ORIGIN is unset, so the relay's origin would be plain http`);
  }
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const demo = booleanVar(env, 'COUNTERSIGN_DEMO', problems);
  const trustProxy = trustProxyVar(env, problems);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }
  if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters');
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) problems.push('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
  if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN !== '' && env.METRICS_TOKEN.length < 16)
    problems.push('METRICS_TOKEN must be at least 16 characters');
  if (!env.METRICS_TOKEN && !isLoopbackHost(host) && !isLoopbackHost(`[${host}]`)) {
    warnings.push(`/metrics is open to anyone who can reach ${host}: set METRICS_TOKEN to require a bearer token`);
  }
  const pinKey = pinKeyVars(env, problems);
  const forwardAuthProxies = forwardAuthProxiesVar(env, problems);
  const cookieDomain = cookieDomainVar(env, relayOrigin, host, problems);
  const wideDataDir = wideDataDirWarning(dataDir);
  if (wideDataDir) warnings.push(wideDataDir);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  let adminToken = env.ADMIN_TOKEN;
  let adminTokenCreated = false;
  if (!adminToken) {
    ({ adminToken, adminTokenCreated } = readOrCreateAdminToken(dataDir));
  }
  return {
    adminTokenCreated,
    warnings,
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
      metricsToken: env.METRICS_TOKEN || undefined,
      logLevel,
      timing: DEFAULT_TIMING,
      pinKey,
      socketLimits: socketLimitsVars(env, problems),
      forwardAuthProxies,
      cookieDomain,
    },
  };
}

/** `http:` on a host other than 127.x.x.x, [::1] or localhost. */
function isInsecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
}

function readOrCreateAdminToken(dataDir: string): { adminToken: string; adminTokenCreated: boolean } {
  const file = path.join(dataDir, 'admin-token');
  if (existsSync(file)) {
    makePrivate(file); // created 0644 by an older version
    return { adminToken: readFileSync(file, 'utf8').trim(), adminTokenCreated: false };
  }
  ensurePrivateDir(dataDir);
  const adminToken = randomId() + randomId();
  writeFileSync(file, adminToken + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { adminToken, adminTokenCreated: true };
}

function integerVar(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

/** TRUST_PROXY: a hop count from 0 to 10; `true`/`false` kept from when it was a switch (1/0). */
function trustProxyVar(env: Record<string, string | undefined>, problems: string[]): number {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === 'true') return 1;
  if (raw === 'false') return 0;
  return integerVar({ TRUST_PROXY: raw }, 'TRUST_PROXY', 0, 0, 10, problems);
}

/**
 * DEVICE_SOCKETS_UNAUTHENTICATED and DEVICE_SOCKETS_PER_SECOND: what one client address may open
 * (defaults 32 and 20/s, burst twice the rate). Raised only for load tests from one address.
 */
function socketLimitsVars(env: Record<string, string | undefined>, problems: string[]): RelayConfig['socketLimits'] {
  const limits: NonNullable<RelayConfig['socketLimits']> = {};
  if (env.DEVICE_SOCKETS_UNAUTHENTICATED)
    limits.unauthenticatedPerClient = integerVar(env, 'DEVICE_SOCKETS_UNAUTHENTICATED', 32, 1, 1_000_000, problems);
  if (env.DEVICE_SOCKETS_PER_SECOND) {
    limits.newPerSecondPerClient = integerVar(env, 'DEVICE_SOCKETS_PER_SECOND', 20, 1, 1_000_000, problems);
    limits.newBurstPerClient = limits.newPerSecondPerClient * 2;
  }
  return limits;
}

/** FORWARD_AUTH_PROXIES: addresses and CIDR ranges, comma-separated; unset: loopback only. */
function forwardAuthProxiesVar(env: Record<string, string | undefined>, problems: string[]): TrustedProxies {
  if (env.FORWARD_AUTH_PROXIES === undefined || env.FORWARD_AUTH_PROXIES.trim() === '') return TrustedProxies.defaults();
  const parsed = TrustedProxies.parse(env.FORWARD_AUTH_PROXIES);
  if (parsed.ok) return parsed.proxies;
  problems.push(parsed.problem);
  return TrustedProxies.defaults();
}

/**
 * COOKIE_DOMAIN: a DNS name the relay's own host lies under (a browser refuses a cookie for any
 * other), given with or without a leading dot; never an IP address.
 */
function cookieDomainVar(
  env: Record<string, string | undefined>,
  relayOrigin: string | undefined,
  host: string,
  problems: string[],
): string | undefined {
  const raw = env.COOKIE_DOMAIN?.trim();
  if (!raw) return undefined;
  const domain = /[:/@]/.test(raw) ? undefined : normalizeHostname(raw.replace(/^\./, ''));
  if (!domain || domain.includes(':') || /^[\d.]+$/.test(domain) || !domain.includes('.') || /^\[/.test(domain)) {
    problems.push('COOKIE_DOMAIN must be a DNS name with at least two labels, like example.com (no scheme, port or IP address)');
    return undefined;
  }
  const relayHost = normalizeHostname(relayOrigin ? new URL(relayOrigin).host : host);
  if (!relayHost || !isUnderDomain(relayHost, domain)) {
    problems.push(
      `COOKIE_DOMAIN ${domain} must contain the relay's own host (set RELAY_ORIGIN to a name under it, like https://signin.${domain})`,
    );
    return undefined;
  }
  return domain;
}

/** PIN_KEY (the key itself) or PIN_KEY_FILE (a file holding it); both set is a mistake. */
function pinKeyVars(env: Record<string, string | undefined>, problems: string[]): Buffer | undefined {
  if (env.PIN_KEY && env.PIN_KEY_FILE) {
    problems.push('set PIN_KEY or PIN_KEY_FILE, not both');
    return undefined;
  }
  if (env.PIN_KEY) {
    const key = parsePinKey(env.PIN_KEY);
    if (!key) problems.push('PIN_KEY must be 32 bytes, as base64url or 64 hex digits (e.g. `openssl rand -hex 32`)');
    return key;
  }
  if (env.PIN_KEY_FILE) {
    let text: string;
    try {
      text = readFileSync(env.PIN_KEY_FILE, 'utf8');
    } catch {
      problems.push(`PIN_KEY_FILE ${env.PIN_KEY_FILE} cannot be read`);
      return undefined;
    }
    const key = parsePinKey(text);
    if (!key) problems.push(`PIN_KEY_FILE ${env.PIN_KEY_FILE} must hold 32 bytes, as base64url or 64 hex digits`);
    return key;
  }
  return undefined;
}

function booleanVar(env: Record<string, string | undefined>, name: string, problems: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  problems.push(`${name} must be 1 or 0`);
  return false;
}
