import { LIMITS } from '../protocol/limits.ts';
import { DEVICE_CONNECT_PATH } from '../protocol/paths.ts';
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'libsql';
import pg from 'pg';
import { startPrivateRedis, terminateDatabaseConnections, type PrivateRedis } from './faults.ts';
import { BrowserClient } from './browser-client.ts';
import { GeneratorPool } from './generator-pool.ts';
import type { RunStats } from './messages.ts';
import {
  cpuSeconds,
  cpuSecondsOfCommand,
  eventLoopSchedule,
  freePort,
  pause,
  rssBytes,
  startServer,
  type ServerProcess,
} from './processes.ts';
import type { SprayCommand, SprayReply } from './password-spray.ts';
import { isStrangerAddress, type AttackCommand, type AttackReply } from './lockout-attack.ts';
import { familiarBrowsers, probePasswords } from './password-probes.ts';
import { forwardAuthBench } from './forward-auth.ts';
import {
  lockoutAttackReport,
  correct,
  markdownReport,
  passwordSpamReport,
  type LockoutAttackResult,
  summarize,
  type BenchResult,
  type Correctness,
  type PasswordSpamResult,
  type SideResult,
  type SocketCaps,
} from './report.ts';

/**
 * `npm run bench`: the relay against a bare `ws` baseline, same clients, same machine, one run.
 * See docs/performance.md for what each figure means.
 */

const root = path.resolve(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    instances: { type: 'string', default: '1' },
    generators: { type: 'string', default: '2' },
    'json-out': { type: 'string', default: path.join(root, 'bench', 'results', 'latest.json') },
    'cpu-prof': { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    /** Exit 1 when the run was not correct (lost, duplicated, wrong or failed sign-ins); never on speed. `npm run bench:smoke`. */
    'fail-if-incorrect': { type: 'boolean', default: false },
    /**
     * `standard` (relay against the baseline), `password-spam` (quiet run, then the same under a
     * password spray) or `lockout-attack` (familiar browsers' sign-ins quiet, then while strangers
     * from 100 addresses fill slots, spray passwords and hold event streams), or `forward-auth`
     * (requests/s through nginx with the forward-auth check against a bare nginx `return 200`),
     * or `faults` (sign-ins over PostgreSQL + Redis while the database connections are terminated
     * and Redis restarts; nothing may be lost).
     */
    scenario: { type: 'string', default: 'standard' },
  },
});

const SCENARIOS = ['standard', 'password-spam', 'lockout-attack', 'forward-auth', 'faults'] as const;
const scenario = flags.scenario as (typeof SCENARIOS)[number];
if (!SCENARIOS.includes(scenario)) {
  console.error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

/** The strangers of the lockout-attack scenario: this many addresses, loops and held streams per address. */
const ATTACK_ADDRESSES = 100;
const ATTACK_CONCURRENCY = 32;
const ATTACK_STREAMS_PER_ADDRESS = 8;

/** The spray: this many requests in flight, over these names (password-spam scenario). */
const SPRAY_CONCURRENCY = 64;
const SPRAY_USERS_WITH_PASSWORD = 16;
const SPRAY_USERS_WITHOUT_PASSWORD = 400;
/** Sprayed users who sign in with their password during the spray, from a familiar and from new browsers. */
const PASSWORD_PROBE_USERS = 4;

const options = {
  devices: positive('devices'),
  concurrency: positive('concurrency'),
  durationMs: positive('duration') * 1000,
  warmupMs: Number(flags.warmup) * 1000,
  // The faults are PostgreSQL's and Redis's: at least two instances.
  instances: scenario === 'faults' ? Math.max(2, positive('instances')) : positive('instances'),
  generators: positive('generators'),
};

function positive(name: 'devices' | 'concurrency' | 'duration' | 'instances' | 'generators'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
}

const log = (line: string) => console.log(`[bench] ${line}`);

interface Services {
  databaseUrl: string;
  redisUrl: string;
  drop(): Promise<void>;
}

/** Instances mode: the project's private PostgreSQL + Redis, and a fresh database for this run. */
async function startServices(redisUrl?: string): Promise<Services> {
  execFileSync('bash', [path.join(root, 'scripts', 'services.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = Object.fromEntries(
    readFileSync(path.join(root, '.tmp', 'services', 'env'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const adminUrl = env.COUNTERSIGN_TEST_DATABASE_URL!;
  const name = `countersign_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    redisUrl: redisUrl ?? env.COUNTERSIGN_TEST_REDIS_URL!,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

interface RelayCluster {
  publicOrigin: string;
  origins: string[];
  processes: ServerProcess[];
}

async function startRelays(ports: number[], dataDir: string, services: Services | undefined, profileDir?: string): Promise<RelayCluster> {
  const origins = ports.map((port) => `http://127.0.0.1:${port}`);
  const publicOrigin = origins[0]!;
  const processes = await Promise.all(
    ports.map((port, index) =>
      startServer(
        path.join(root, 'relay-server', 'main.ts'),
        {
          PORT: String(port),
          HOST: '127.0.0.1',
          RELAY_ORIGIN: publicOrigin,
          DATA_DIR: path.join(dataDir, `instance-${index}`),
          ADMIN_TOKEN,
          LOG_LEVEL: 'warn',
          // Every bench device connects from 127.0.0.1: lift the per-address socket caps.
          DEVICE_SOCKETS_UNAUTHENTICATED: '1000000',
          DEVICE_SOCKETS_PER_SECOND: '1000000',
          // The spray comes from many addresses (X-Forwarded-For), as a botnet's would.
          ...(scenario !== 'standard' ? { TRUST_PROXY: '1' } : {}),
          // Instances on one database share the PIN sealing key (relay-server/pin/pin-sealing-key.ts).
          ...(services ? { DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, PIN_KEY: '5eed'.repeat(16) } : {}),
        },
        /listening on/,
        profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      ),
    ),
  );
  return { publicOrigin, origins, processes };
}

async function relayGauge(client: BrowserClient, origin: string, name: string): Promise<number> {
  const response = await client.request(origin, 'GET', '/metrics');
  const text = typeof response.body === 'string' ? response.body : '';
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const mergeStats = (stats: RunStats[]) => ({
  latencies: stats.flatMap((s) => s.latencies),
  failures: sum(stats.map((s) => s.failures)),
  failureKinds: stats.reduce<Record<string, number>>((all, s) => {
    for (const [kind, count] of Object.entries(s.failureKinds)) all[kind] = (all[kind] ?? 0) + count;
    return all;
  }, {}),
  records: stats.flatMap((s) => s.records),
  approvedResults: Object.assign({}, ...stats.map((s) => s.approvedResults)) as Record<string, number>,
  duplicateChallenges: sum(stats.map((s) => s.duplicateChallenges)),
  otherResults: sum(stats.map((s) => s.otherResults)),
  otherOutcomes: stats.reduce<Record<string, number>>((all, s) => {
    for (const [kind, count] of Object.entries(s.otherOutcomes)) all[kind] = (all[kind] ?? 0) + count;
    return all;
  }, {}),
  retries: sum(stats.map((s) => s.retries)),
  generatorCpuSeconds: sum(stats.map((s) => s.cpuSeconds)),
});

/** Connects every device to `socketUrls`, measuring the server's memory before and after. */
async function connectAll(
  generators: GeneratorPool,
  publicOrigin: string,
  socketUrls: string[],
  pids: number[],
  heap?: () => Promise<number>,
) {
  await pause(1_000);
  const rssBefore = sum(pids.map(rssBytes));
  const heapBefore = heap ? await heap() : NaN;
  const replies = await generators.all('connected', () => ({ cmd: 'connect', publicOrigin, socketUrls, poolSize: 256 }));
  const connected = sum(replies.map((r) => r.connected));
  const firstError = replies.find((r) => r.firstError)?.firstError;
  log(
    `connected ${connected}/${options.devices} devices in ${Math.max(...replies.map((r) => r.seconds)).toFixed(1)} s${firstError ? ` (first error: ${firstError})` : ''}`,
  );
  // Let the connection burst's garbage go before reading memory.
  await pause(3_000);
  const rssAfter = sum(pids.map(rssBytes));
  const heapAfter = heap ? await heap() : NaN;
  return { connected, rssBefore, rssAfter, heapBefore, heapAfter };
}

/**
 * Section 4's cap on authenticated sockets per device, measured: up to 1,000 devices open sockets
 * until each holds the cap, then one more. The relay must reject every one over the cap, and the
 * memory figure says what a device at its cap costs.
 */
async function measureSocketCaps(generators: GeneratorPool, socketUrl: string, pids: number[]): Promise<SocketCaps> {
  const cap = LIMITS.maxSocketsPerDevice;
  const devices = Math.min(1_000, options.devices);
  const rssBefore = sum(pids.map(rssBytes));
  const replies = await generators.all('capped', () => ({
    cmd: 'capSockets',
    socketUrl,
    devices: Math.ceil(devices / generators.size),
    cap,
  }));
  await pause(3_000);
  const opened = sum(replies.map((r) => r.opened));
  const caps: SocketCaps = {
    cap,
    devices,
    opened,
    overCapRejected: sum(replies.map((r) => r.overCapRejected)),
    overCapAccepted: sum(replies.map((r) => r.overCapAccepted)),
    failures: sum(replies.map((r) => r.failures)),
    memoryPerSocketKiB: (sum(pids.map(rssBytes)) - rssBefore) / 1024 / Math.max(1, opened),
  };
  log(
    `socket caps: ${caps.opened} extra sockets up to ${cap} per device, ${caps.overCapRejected} over the cap rejected, ${caps.overCapAccepted} accepted`,
  );
  return caps;
}

/** Runs the sign-in loops on every generator while sampling the server processes' CPU. */
async function runLoad(
  generators: GeneratorPool,
  kind: 'relay' | 'baseline',
  apiOrigins: string[],
  serverPids: number[],
  familiar = false,
) {
  const concurrencies = Array.from(
    { length: generators.size },
    (_, i) => Math.floor(options.concurrency / generators.size) + (i < options.concurrency % generators.size ? 1 : 0),
  );
  // The relays' CPU, and over PostgreSQL + Redis their CPU and the statements and commands the
  // relays sent them (counted at the clients, /metrics), from the end of the warm-up to the end.
  const shared = kind === 'relay' && options.instances > 1;
  const sample = async () => {
    const loops = serverPids.map(eventLoopSchedule);
    return {
      cpu: sum(serverPids.map(cpuSeconds)),
      loopRunning: sum(loops.map((loop) => loop.running)),
      loopWaiting: sum(loops.map((loop) => loop.waiting)),
      postgresCpu: shared ? cpuSecondsOfCommand('postgres') : 0,
      redisCpu: shared ? cpuSecondsOfCommand('redis-server') : 0,
      statements: kind === 'relay' ? await relayCounters(apiOrigins, 'countersign_database_statements_total') : NaN,
      commands: shared ? await relayCounters(apiOrigins, 'countersign_redis_commands_total') : NaN,
    };
  };
  let start: Promise<Awaited<ReturnType<typeof sample>>> | undefined;
  let end: Promise<Awaited<ReturnType<typeof sample>>> | undefined;
  const startTimer = setTimeout(() => {
    start = sample();
  }, options.warmupMs);
  const endTimer = setTimeout(() => {
    end = sample();
  }, options.warmupMs + options.durationMs);
  const replies = await generators.all('ran', (i) => ({
    cmd: 'run',
    kind,
    apiOrigins,
    concurrency: Math.max(1, concurrencies[i]!),
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    familiar,
  }));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  const [first, last] = start && end ? await Promise.all([start, end]) : [undefined, undefined];
  const delta = (of: (s: Awaited<ReturnType<typeof sample>>) => number) => (first && last ? of(last) - of(first) : NaN);
  return {
    ...mergeStats(replies.map((r) => r.stats)),
    serverCpuSeconds: delta((s) => s.cpu),
    eventLoopRunningSeconds: delta((s) => s.loopRunning),
    eventLoopWaitingSeconds: delta((s) => s.loopWaiting),
    postgresCpuSeconds: shared ? delta((s) => s.postgresCpu) : null,
    redisCpuSeconds: shared ? delta((s) => s.redisCpu) : null,
    databaseStatements: kind === 'relay' ? delta((s) => s.statements) : null,
    redisCommands: shared ? delta((s) => s.commands) : null,
  };
}

/** A counter summed over the relays' /metrics. */
async function relayCounters(origins: string[], name: string): Promise<number> {
  const client = new BrowserClient(origins.length);
  try {
    return sum(await Promise.all(origins.map((origin) => relayGauge(client, origin, name))));
  } finally {
    client.close();
  }
}

type Merged = Awaited<ReturnType<typeof runLoad>>;

function side(merged: Merged, memory: Awaited<ReturnType<typeof connectAll>>): SideResult {
  const seconds = options.durationMs / 1000;
  return {
    ...summarize(merged.latencies, seconds),
    failures: merged.failures,
    failureKinds: merged.failureKinds,
    signinsCreated: merged.records.length,
    connectedDevices: memory.connected,
    serverRssBeforeMiB: memory.rssBefore / 2 ** 20,
    serverRssAfterMiB: memory.rssAfter / 2 ** 20,
    memoryPerDeviceKiB: (memory.rssAfter - memory.rssBefore) / 1024 / Math.max(1, memory.connected),
    heapPerDeviceKiB: Number.isNaN(memory.heapAfter) ? null : (memory.heapAfter - memory.heapBefore) / 1024 / Math.max(1, memory.connected),
    serverCpuCores: merged.serverCpuSeconds / seconds,
    ...(Number.isNaN(merged.eventLoopRunningSeconds)
      ? {}
      : { eventLoopCores: merged.eventLoopRunningSeconds / seconds, eventLoopWaitingCores: merged.eventLoopWaitingSeconds / seconds }),
    generatorCpuCores: merged.generatorCpuSeconds / seconds,
    ...perSignin(merged, seconds),
  };
}

/** What each sign-in cost the database and Redis, when they were measured (runLoad). */
function perSignin(
  merged: Merged,
  seconds: number,
): Pick<SideResult, 'statementsPerSignin' | 'redisCommandsPerSignin' | 'postgresCpuCores' | 'redisCpuCores'> {
  const completed = Math.max(1, merged.latencies.length);
  const per = (count: number | null | undefined) =>
    count === null || count === undefined || Number.isNaN(count) ? null : count / completed;
  const cores = (cpu: number | null | undefined) => (cpu === null || cpu === undefined || Number.isNaN(cpu) ? null : cpu / seconds);
  return {
    statementsPerSignin: per(merged.databaseStatements),
    redisCommandsPerSignin: per(merged.redisCommands),
    postgresCpuCores: cores(merged.postgresCpuSeconds),
    redisCpuCores: cores(merged.redisCpuSeconds),
  };
}

/** Checks every sign-in the generators made against the relay's own records. */
async function verify(
  merged: Merged,
  rows: { id: string; device_id: string | null; status: string }[],
  /** Faults: a create the browser saw fail (503) may still have written its row, which then never settles approved. */
  refusedCreatesMayBeWritten = false,
): Promise<Correctness> {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const created = new Map(merged.records.map((record) => [record.requestId, record]));
  let lost = 0;
  let wrong = 0;
  let duplicated = merged.duplicateChallenges;
  const lostExamples: string[] = [];
  for (const record of merged.records) {
    const row = byId.get(record.requestId);
    const results = merged.approvedResults[record.requestId] ?? 0;
    if (results > 1) duplicated += results - 1;
    if (!row || row.status !== 'approved' || record.seen !== 'approved' || results === 0) {
      lost += 1;
      if (lostExamples.length < 5)
        lostExamples.push(`row ${row?.status ?? 'missing'}, browser saw ${record.seen ?? 'nothing'}, ${results} approved results`);
    } else if (row.device_id !== record.deviceId) wrong += 1;
  }
  // A row no generator created, or a device told anything but `approved`, is a wrong application.
  const wrongExamples: string[] = [];
  let writtenButRefused = 0;
  for (const row of rows) {
    if (created.has(row.id)) continue;
    if (refusedCreatesMayBeWritten && row.status !== 'approved') writtenButRefused += 1;
    else {
      wrong += 1;
      if (wrongExamples.length < 5) wrongExamples.push(`a row no browser created (${row.status})`);
    }
  }
  wrong += merged.otherResults;
  if (merged.otherResults > 0)
    wrongExamples.push(`${merged.otherResults} results other than approved: ${JSON.stringify(merged.otherOutcomes)}`);
  return {
    signinsCreated: merged.records.length,
    approvedInDatabase: rows.filter((row) => row.status === 'approved').length,
    rowsInDatabase: rows.length,
    lost,
    ...(lostExamples.length > 0 ? { lostExamples } : {}),
    ...(wrongExamples.length > 0 ? { wrongExamples } : {}),
    ...(refusedCreatesMayBeWritten ? { writtenButRefused } : {}),
    duplicated,
    wrong,
  };
}

async function databaseRows(dataDir: string, services: Services | undefined, withUpn = false) {
  type Row = { id: string; device_id: string | null; status: string; upn?: string; ip?: string };
  const query = `select id, device_id, status${withUpn ? ', upn, ip' : ''} from signin_requests`;
  if (services) {
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    const result = await client.query<Row>(query);
    await client.end();
    return result.rows;
  }
  const db = new Database(path.join(dataDir, 'instance-0', 'countersign.db'), { readonly: true });
  const rows = db.prepare(query).all() as Row[];
  db.close();
  return rows;
}

async function main(): Promise<void> {
  if (scenario === 'forward-auth') {
    const jsonOut =
      flags['json-out'] === path.join(root, 'bench', 'results', 'latest.json')
        ? path.join(root, 'bench', 'results', 'forward-auth.json')
        : flags['json-out'];
    await forwardAuthBench({ durationMs: options.durationMs, warmupMs: options.warmupMs, concurrency: options.concurrency, jsonOut });
    return;
  }
  const nofile = Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim());
  const perGenerator = Math.ceil(options.devices / options.generators) + options.concurrency * 2 + 100;
  if (nofile < options.devices + 200 || nofile < perGenerator) {
    console.error(
      `The open-file limit is ${nofile}; ${options.devices} devices need about ${options.devices + 200}. Run \`ulimit -n 65536\` (or as high as the hard limit allows) first.`,
    );
    process.exit(2);
  }
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
  log(
    `${options.devices} devices, concurrency ${options.concurrency}, ${options.durationMs / 1000} s (+${options.warmupMs / 1000} s warm-up), ${options.instances} instance(s), ${options.generators} load generator(s); ${machine.cpus} cores`,
  );

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-bench-'));
  const privateRedis = scenario === 'faults' ? await startPrivateRedis(await freePort()) : undefined;
  const services = options.instances > 1 ? await startServices(privateRedis?.url) : undefined;
  const ports = await Promise.all(Array.from({ length: options.instances }, () => freePort()));
  const profileDir = flags['cpu-prof'] ? path.join(root, 'bench', 'results', 'profile') : undefined;
  const client = new BrowserClient(8);
  let relays = await startRelays(ports, dataDir, services);
  const generators = await GeneratorPool.start(options.generators);
  let baseline: ServerProcess | undefined;
  try {
    // The push budget must not limit the benchmark (the protocol allows up to 1000 per 10 min).
    const policy = await client.request(relays.origins[0]!, 'GET', '/api/v1/admin/policy', undefined, ADMIN_TOKEN);
    const put = await client.request(
      relays.origins[0]!,
      'PUT',
      '/api/v1/admin/policy',
      // Under the lockout attack the strangers meet the default cap on unfamiliar pushes (the
      // familiar browsers are outside it); elsewhere the bench's browsers are unfamiliar themselves.
      { ...(policy.body as object), maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: scenario === 'lockout-attack' ? 20 : 10_000 },
      ADMIN_TOKEN,
    );
    if (put.status !== 200) throw new Error(`policy: ${put.status} ${JSON.stringify(put.body)}`);

    const pairStart = Date.now();
    await generators.all('paired', (g) => ({
      cmd: 'pair',
      origin: relays.origins[g % relays.origins.length]!,
      adminToken: ADMIN_TOKEN,
      upns: Array.from({ length: options.devices }, (_, index) => ({ index, upn: `bench-${index}@bench.test` })).filter(
        ({ index }) => index % options.generators === g,
      ),
      poolSize: 16,
    }));
    log(`created and paired ${options.devices} users and devices in ${((Date.now() - pairStart) / 1000).toFixed(1)} s`);

    // A fresh relay process, so "before" is the memory of a relay with nothing connected.
    await Promise.all(relays.processes.map((relay) => relay.stop()));
    relays = await startRelays(ports, dataDir, services, profileDir);
    const relayPids = relays.processes.map((p) => p.pid);
    const heap = async () =>
      sum(await Promise.all(relays.origins.map((origin) => relayGauge(client, origin, 'countersign_nodejs_heap_size_used_bytes'))));
    const socketUrls = relays.origins.map((origin) => `${origin.replace('http', 'ws')}${DEVICE_CONNECT_PATH}`);
    const relayMemory = await connectAll(generators, relays.publicOrigin, socketUrls, relayPids, heap);
    const onRelays = sum(await Promise.all(relays.origins.map((origin) => relayGauge(client, origin, 'countersign_connected_devices'))));
    log(
      `the relay counts ${onRelays} connected devices; RSS ${(relayMemory.rssBefore / 2 ** 20).toFixed(0)} → ${(relayMemory.rssAfter / 2 ** 20).toFixed(0)} MiB`,
    );
    if (scenario === 'password-spam') {
      await passwordSpam(client, generators, relays, relayPids, relayMemory, dataDir, services, machine);
      return;
    }
    if (scenario === 'lockout-attack') {
      await lockoutAttack(generators, relays, relayPids, relayMemory, dataDir, services, machine);
      return;
    }
    if (scenario === 'faults') {
      await faultsScenario(generators, relays, relayPids, relayMemory, dataDir, services!, privateRedis!, machine);
      return;
    }
    log(`running sign-ins against the relay...`);
    const relayRun = await runLoad(generators, 'relay', relays.origins, relayPids);
    const relaySide = side(relayRun, relayMemory);
    log(`relay: ${relaySide.throughput.toFixed(0)} sign-ins/s, p99 ${relaySide.p99.toFixed(1)} ms, ${relaySide.failures} failures`);
    const socketCaps = await measureSocketCaps(generators, socketUrls[0]!, relayPids);
    await generators.all('disconnected', () => ({ cmd: 'disconnect' }));
    await Promise.all(relays.processes.map((relay) => relay.stop()));
    const correctness = await verify(relayRun, await databaseRows(dataDir, services));
    log(
      `checked ${correctness.signinsCreated} sign-ins against the database: ${correctness.lost} lost, ${correctness.duplicated} duplicated, ${correctness.wrong} wrong`,
    );

    let baselineSide: SideResult | null = null;
    if (!flags['skip-baseline']) {
      const baselinePort = await freePort();
      baseline = await startServer(path.join(root, 'bench', 'baseline-server.ts'), { PORT: String(baselinePort) }, /listening on/);
      const origin = `http://127.0.0.1:${baselinePort}`;
      const baselineMemory = await connectAll(generators, origin, [`ws://127.0.0.1:${baselinePort}${DEVICE_CONNECT_PATH}`], [baseline.pid]);
      log(`running sign-ins against the baseline...`);
      const baselineRun = await runLoad(generators, 'baseline', [origin], [baseline.pid]);
      baselineSide = side(baselineRun, baselineMemory);
      log(
        `baseline: ${baselineSide.throughput.toFixed(0)} sign-ins/s, p99 ${baselineSide.p99.toFixed(1)} ms, ${baselineSide.failures} failures`,
      );
      await generators.all('disconnected', () => ({ cmd: 'disconnect' }));
      await baseline.stop();
    }

    const result: BenchResult = {
      at: new Date().toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      options: { ...options, browserSide: 'Server-Sent Events (GET /api/v1/signins/{id}/events)' },
      relay: relaySide,
      baseline: baselineSide,
      correctness,
      socketCaps,
    };
    const markdown = markdownReport(result);
    console.log('\n' + markdown);
    if (flags['fail-if-incorrect'] && !correct(result)) process.exitCode = 1;
    const jsonOut = path.resolve(flags['json-out']);
    mkdirSync(path.dirname(jsonOut), { recursive: true });
    writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(jsonOut.replace(/\.json$/, '') + '.md', markdown + '\n');
    log(`wrote ${jsonOut} and its .md`);
    if (profileDir) log(`CPU profiles of the relay in ${profileDir}`);
  } finally {
    generators.close();
    await baseline?.stop();
    await Promise.all(relays.processes.map((relay) => relay.stop()));
    client.close();
    await services?.drop().catch(() => undefined);
    await privateRedis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `--scenario password-spam`: the usual sign-ins twice in one invocation, first quiet, then while
 * another process sprays wrong passwords at SPRAY_CONCURRENCY in flight; the approvals' p99 of
 * both side by side. Target: the spammed p99 within 2× of the quiet one.
 */
async function passwordSpam(
  client: BrowserClient,
  generators: GeneratorPool,
  relays: RelayCluster,
  relayPids: number[],
  relayMemory: Awaited<ReturnType<typeof connectAll>>,
  dataDir: string,
  services: Services | undefined,
  machine: BenchResult['machine'],
): Promise<void> {
  const origin = relays.origins[0]!;
  const withPassword = Array.from({ length: SPRAY_USERS_WITH_PASSWORD }, (_, i) => `spray-pw-${i}@bench.test`);
  const withoutPassword = Array.from({ length: SPRAY_USERS_WITHOUT_PASSWORD }, (_, i) => `spray-${i}@bench.test`);
  for (const [upns, password] of [
    [withPassword, true],
    [withoutPassword, false],
  ] as const) {
    for (const upn of upns) {
      const body = { upn, displayName: 'Spray target', ...(password ? { password: `right-password-of-${upn}` } : {}) };
      const created = await client.request(origin, 'POST', '/api/v1/admin/users', body, ADMIN_TOKEN, 60_000);
      if (created.status !== 201) throw new Error(`spray target ${upn}: ${created.status} ${JSON.stringify(created.body)}`);
    }
  }
  log(`created ${withPassword.length} spray targets with a password and ${withoutPassword.length} without`);
  // The sprayed users' own password sign-ins during the spray: from a familiar browser each (made
  // familiar by a TAP sign-in now), and from new browsers.
  const probeUsers = withPassword.slice(0, PASSWORD_PROBE_USERS).map((upn) => ({ upn, password: `right-password-of-${upn}` }));
  const probeBrowsers = await familiarBrowsers(client, origin, ADMIN_TOKEN, probeUsers);
  let probes: Awaited<ReturnType<typeof probePasswords>>;

  log('quiet run: sign-ins alone...');
  const quietRun = await runLoad(generators, 'relay', relays.origins, relayPids);
  const quiet = side(quietRun, relayMemory);
  log(`quiet: ${quiet.throughput.toFixed(0)} sign-ins/s, p99 ${quiet.p99.toFixed(1)} ms, ${quiet.failures} failures`);

  const { child: sprayer, next } = forkScenario<SprayReply>(
    'password-spray.ts',
    'password spray',
    options.warmupMs + options.durationMs + 60_000,
  );
  let sprayed: Extract<SprayReply, { cmd: 'sprayed' }>;
  let spamRun: Merged;
  try {
    sprayer.send({
      cmd: 'spray',
      origin,
      withPassword,
      withoutPassword,
      concurrency: SPRAY_CONCURRENCY,
      deadlineMs: options.warmupMs + options.durationMs + 30_000,
    } satisfies SprayCommand);
    await next('spraying');
    // Let the spray fill the relay's password line before the sign-ins start.
    await pause(1_000);
    log(
      `spam run: sign-ins while ${SPRAY_CONCURRENCY} wrong passwords are in flight, and password sign-ins of familiar and new browsers...`,
    );
    let endProbes = () => undefined as void;
    const probesDone = probePasswords({
      origin,
      familiar: probeBrowsers,
      newBrowsers: probeUsers,
      until: new Promise<void>((resolve) => (endProbes = resolve)),
      maxMs: options.warmupMs + options.durationMs + 30_000,
    });
    spamRun = await runLoad(generators, 'relay', relays.origins, relayPids);
    endProbes();
    probes = await probesDone;
    sprayer.send({ cmd: 'stop' } satisfies SprayCommand);
    sprayed = await next('sprayed');
  } finally {
    sprayer.kill('SIGKILL');
  }
  const spam = side(spamRun, relayMemory);
  log(
    `spam: ${spam.throughput.toFixed(0)} sign-ins/s, p99 ${spam.p99.toFixed(1)} ms, ${spam.failures} failures; spray ${sprayed.attempts} attempts in ${sprayed.seconds.toFixed(1)} s: ${JSON.stringify(sprayed.answers)}`,
  );
  log(`password sign-ins during the spray: familiar ${JSON.stringify(probes.familiar)}, new ${JSON.stringify(probes.newBrowsers)}`);

  await generators.all('disconnected', () => ({ cmd: 'disconnect' }));
  await Promise.all(relays.processes.map((relay) => relay.stop()));
  const both: Merged = {
    ...spamRun,
    records: [...quietRun.records, ...spamRun.records],
    approvedResults: { ...quietRun.approvedResults, ...spamRun.approvedResults },
    duplicateChallenges: quietRun.duplicateChallenges + spamRun.duplicateChallenges,
    otherResults: quietRun.otherResults + spamRun.otherResults,
  };
  // The spray's attempts are sign-in log rows too (failed passwords); only the bench users' rows are checked.
  const sprayRows = new Set(
    (await databaseRows(dataDir, services, true)).filter((row) => !row.upn?.startsWith('bench-')).map((row) => row.id),
  );
  const correctness = await verify(
    both,
    (await databaseRows(dataDir, services)).filter((row) => !sprayRows.has(row.id)),
  );
  log(
    `checked ${correctness.signinsCreated} sign-ins against the database: ${correctness.lost} lost, ${correctness.duplicated} duplicated, ${correctness.wrong} wrong`,
  );

  const result: PasswordSpamResult = {
    at: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    options: {
      ...options,
      sprayConcurrency: SPRAY_CONCURRENCY,
      sprayUsersWithPassword: withPassword.length,
      sprayUsersWithoutPassword: withoutPassword.length,
    },
    quiet,
    spam,
    spray: { attempts: sprayed.attempts, seconds: sprayed.seconds, answers: sprayed.answers },
    passwordSignins: probes,
    correctness,
  };
  const markdown = passwordSpamReport(result);
  console.log('\n' + markdown);
  const jsonOut = path.join(path.dirname(path.resolve(flags['json-out'])), 'password-spam.json');
  mkdirSync(path.dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(jsonOut.replace(/\.json$/, '') + '.md', markdown + '\n');
  log(`wrote ${jsonOut} and its .md`);
}

/**
 * `--scenario faults`: sign-ins over PostgreSQL + Redis while, a third of the way into the
 * measured window, every relay connection to the database is terminated, and two thirds in, Redis
 * stops and starts again. Devices send again what the relay answered `unavailable`, browsers
 * reopen their event stream as EventSource does; the relays send again, after Redis returns,
 * the challenges and statuses published while they were not subscribed. Target: nothing lost,
 * duplicated or wrong. Challenges sent again after Redis returned are counted apart: a device
 * already holding one ignores it (docs/protocol.md section 4).
 */
async function faultsScenario(
  generators: GeneratorPool,
  relays: RelayCluster,
  relayPids: number[],
  relayMemory: Awaited<ReturnType<typeof connectAll>>,
  dataDir: string,
  services: Services,
  redis: PrivateRedis,
  machine: BenchResult['machine'],
): Promise<void> {
  const faults: { at: string; what: string; figure: string }[] = [];
  const at = (ms: number) => `${((ms - options.warmupMs) / 1000).toFixed(1)} s into the measured window`;
  const injected = Promise.all([
    pause(options.warmupMs + options.durationMs / 3).then(async () => {
      const terminated = await terminateDatabaseConnections(services.databaseUrl);
      faults.push({
        at: at(options.warmupMs + options.durationMs / 3),
        what: 'pg_terminate_backend of every relay connection',
        figure: `${terminated} connections`,
      });
      log(`terminated ${terminated} database connections`);
    }),
    pause(options.warmupMs + (2 * options.durationMs) / 3).then(async () => {
      const awayMs = await redis.restart();
      faults.push({
        at: at(options.warmupMs + (2 * options.durationMs) / 3),
        what: 'Redis stopped and started again',
        figure: `away ${awayMs} ms`,
      });
      log(`restarted Redis (away ${awayMs} ms)`);
    }),
  ]);
  log('running sign-ins while the faults happen...');
  const run = await runLoad(generators, 'relay', relays.origins, relayPids);
  await injected;
  const relaySide = side(run, relayMemory);
  log(`relay: ${relaySide.throughput.toFixed(0)} sign-ins/s, p99 ${relaySide.p99.toFixed(1)} ms, ${relaySide.failures} failures`);
  await generators.all('disconnected', () => ({ cmd: 'disconnect' }));
  await Promise.all(relays.processes.map((relay) => relay.stop()));
  const sentAgain = run.duplicateChallenges;
  const correctness = await verify({ ...run, duplicateChallenges: 0 }, await databaseRows(dataDir, services), true);
  const passed = correctness.lost === 0 && correctness.duplicated === 0 && correctness.wrong === 0;
  const summary = `bench faults, ${options.instances} instances: ${faults.map((fault) => `${fault.what} (${fault.figure})`).join('; ')} · ${correctness.signinsCreated} sign-ins: ${correctness.lost} lost, ${correctness.duplicated} duplicated, ${correctness.wrong} wrong ${passed ? 'pass' : 'FAIL'}`;
  const markdown = [
    summary,
    '',
    `**${options.devices} devices, concurrency ${options.concurrency}, ${options.durationMs / 1000} s measured after ${options.warmupMs / 1000} s warm-up, ${options.instances} relay instances over PostgreSQL + Redis.** ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}.`,
    '',
    '| fault | when | figure |',
    '|---|---|---|',
    ...faults.map((fault) => `| ${fault.what} | ${fault.at} | ${fault.figure} |`),
    '',
    '| figure | value |',
    '|---|---:|',
    `| sign-ins per second | ${relaySide.throughput.toFixed(0)} |`,
    `| round trip p99 (ms) | ${relaySide.p99.toFixed(1)} |`,
    `| sign-ins created | ${correctness.signinsCreated} |`,
    `| lost | ${correctness.lost} |`,
    `| duplicated | ${correctness.duplicated} |`,
    `| wrong | ${correctness.wrong} |`,
    `| browsers refused at create (503 while the database was away), not created | ${relaySide.failures} |`,
    `| frames and event streams sent again after \`unavailable\` | ${run.retries} |`,
    `| challenges sent again after Redis returned (ignored by the device) | ${sentAgain} |`,
    `| rows written for a create the browser saw refused (never approved) | ${correctness.writtenButRefused ?? 0} |`,
    '',
    `Failures by kind: ${JSON.stringify(relaySide.failureKinds ?? {})}${correctness.lostExamples ? `; lost: ${correctness.lostExamples.join('; ')}` : ''}${correctness.wrongExamples ? `; wrong: ${correctness.wrongExamples.join('; ')}` : ''}`,
  ].join('\n');
  console.log('\n' + markdown);
  if (flags['fail-if-incorrect'] && !passed) process.exitCode = 1;
  const jsonOut = path.join(path.dirname(path.resolve(flags['json-out'])), 'faults.json');
  mkdirSync(path.dirname(jsonOut), { recursive: true });
  writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine,
        options,
        faults,
        relay: relaySide,
        retries: run.retries,
        challengesSentAgain: sentAgain,
        correctness,
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(jsonOut.replace(/\.json$/, '') + '.md', markdown + '\n');
  log(`wrote ${jsonOut} and its .md`);
}

/**
 * `--scenario lockout-attack`: the bench users sign in from familiar browsers (each
 * browser completes its first approved sign-in, in the quiet run's warm-up, and sends the cookie
 * from then on), first quiet, then while ATTACK_ADDRESSES strangers fill those users' pending
 * slots, spray wrong passwords at them and at made-up names, and hold event streams. Targets: no
 * familiar sign-in fails, and their p99 under the attack is at most 2 × quiet.
 */
async function lockoutAttack(
  generators: GeneratorPool,
  relays: RelayCluster,
  relayPids: number[],
  relayMemory: Awaited<ReturnType<typeof connectAll>>,
  dataDir: string,
  services: Services | undefined,
  machine: BenchResult['machine'],
): Promise<void> {
  const origin = relays.origins[0]!;
  log('quiet run: familiar browsers sign in (each completes its first sign-in to become familiar)...');
  const quietRun = await runLoad(generators, 'relay', relays.origins, relayPids, true);
  const quiet = side(quietRun, relayMemory);
  log(`quiet: ${quiet.throughput.toFixed(0)} sign-ins/s, p99 ${quiet.p99.toFixed(1)} ms, ${quiet.failures} failures`);

  const { child: attacker, next } = forkScenario<AttackReply>(
    'lockout-attack.ts',
    'lockout attack',
    options.warmupMs + options.durationMs + 60_000,
  );
  let attacked: Extract<AttackReply, { cmd: 'attacked' }>;
  let attackRun: Merged;
  try {
    attacker.send({
      cmd: 'attack',
      origin,
      upns: Array.from({ length: options.devices }, (_, index) => `bench-${index}@bench.test`),
      addresses: ATTACK_ADDRESSES,
      concurrency: ATTACK_CONCURRENCY,
      streamsPerAddress: ATTACK_STREAMS_PER_ADDRESS,
      deadlineMs: options.warmupMs + options.durationMs + 30_000,
    } satisfies AttackCommand);
    await next('attacking');
    // Let the strangers take the slots and streams before the familiar sign-ins start.
    await pause(2_000);
    log(`attack run: familiar sign-ins while strangers from ${ATTACK_ADDRESSES} addresses attack the same users...`);
    attackRun = await runLoad(generators, 'relay', relays.origins, relayPids, true);
    attacker.send({ cmd: 'stop' } satisfies AttackCommand);
    attacked = await next('attacked');
  } finally {
    attacker.kill('SIGKILL');
  }
  const attack = side(attackRun, relayMemory);
  log(
    `attack: ${attack.throughput.toFixed(0)} sign-ins/s, p99 ${attack.p99.toFixed(1)} ms, ${attack.failures} failures; strangers ${attacked.attempts} attempts in ${attacked.seconds.toFixed(1)} s: ${JSON.stringify(attacked.answers)}; streams ${JSON.stringify(attacked.streams)}`,
  );

  await generators.all('disconnected', () => ({ cmd: 'disconnect' }));
  await Promise.all(relays.processes.map((relay) => relay.stop()));
  const both: Merged = {
    ...attackRun,
    records: [...quietRun.records, ...attackRun.records],
    approvedResults: { ...quietRun.approvedResults, ...attackRun.approvedResults },
    duplicateChallenges: quietRun.duplicateChallenges + attackRun.duplicateChallenges,
    otherResults: quietRun.otherResults + attackRun.otherResults,
  };
  // The strangers' requests and attempts are rows too; only the familiar browsers' are checked.
  const rows = await databaseRows(dataDir, services, true);
  const correctness = await verify(
    both,
    rows.filter((row) => !isStrangerAddress(row.ip ?? '')),
  );
  log(
    `checked ${correctness.signinsCreated} sign-ins against the database: ${correctness.lost} lost, ${correctness.duplicated} duplicated, ${correctness.wrong} wrong`,
  );
  const result: LockoutAttackResult = {
    at: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    options: {
      ...options,
      attackAddresses: ATTACK_ADDRESSES,
      attackConcurrency: ATTACK_CONCURRENCY,
      attackStreamsPerAddress: ATTACK_STREAMS_PER_ADDRESS,
    },
    quiet,
    attack,
    strangers: attacked,
    strangerRows: rows.length - rows.filter((row) => !isStrangerAddress(row.ip ?? '')).length,
    correctness,
  };
  const markdown = lockoutAttackReport(result);
  console.log('\n' + markdown);
  const jsonOut = path.join(path.dirname(path.resolve(flags['json-out'])), 'lockout-attack.json');
  mkdirSync(path.dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(jsonOut.replace(/\.json$/, '') + '.md', markdown + '\n');
  log(`wrote ${jsonOut} and its .md`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * A scenario's second process (the sprayer, the strangers): forked with an IPC channel, and
 * `next(cmd)` waits for its reply of that kind, throwing on its `error` or after `waitMs`.
 */
function forkScenario<Reply extends { cmd: string }>(script: string, label: string, waitMs: number) {
  const child = fork(path.join(root, 'bench', script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: Reply[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (reply: Reply) => {
    replies.push(reply);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async <K extends Reply['cmd']>(cmd: K): Promise<Extract<Reply, { cmd: K }>> => {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const error = replies.find((reply) => reply.cmd === 'error');
      if (error) throw new Error(`${label}: ${(error as unknown as { message: string }).message}`);
      const found = replies.find((reply) => reply.cmd === cmd);
      if (found) return found as Extract<Reply, { cmd: K }>;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1_000).unref();
      });
    }
    throw new Error(`${label}: no ${cmd} in time`);
  };
  return { child, next };
}
