import type { PasswordProbeResult, ProbeCounts } from './password-probes.ts';

/** The benchmark's figures, their targets, and the markdown table docs/performance.md quotes. */

export interface SideResult {
  throughput: number;
  completed: number;
  p50: number;
  p95: number;
  p99: number;
  failures: number;
  failureKinds: Record<string, number>;
  signinsCreated: number;
  connectedDevices: number;
  serverRssBeforeMiB: number;
  serverRssAfterMiB: number;
  memoryPerDeviceKiB: number;
  heapPerDeviceKiB: number | null;
  serverCpuCores: number;
  /**
   * The servers' event-loop threads during the run: time on a core, and time ready to run but
   * waiting for one (the load generators share the cores), in cores. Absent where not measured.
   */
  eventLoopCores?: number;
  eventLoopWaitingCores?: number;
  generatorCpuCores: number;
  /** Statements the relays sent the database, per completed sign-in (counted at the client). */
  statementsPerSignin?: number | null;
  /** Commands the relays sent Redis, per completed sign-in (with --instances 2 or more). */
  redisCommandsPerSignin?: number | null;
  /** CPU of every PostgreSQL and every Redis process during the run (with --instances 2 or more). */
  postgresCpuCores?: number | null;
  redisCpuCores?: number | null;
}

export interface Correctness {
  signinsCreated: number;
  approvedInDatabase: number;
  rowsInDatabase: number;
  lost: number;
  /** How the first few lost ones ended: the row's status, what the browser saw, the device's `approved` results. */
  lostExamples?: string[];
  duplicated: number;
  wrong: number;
  wrongExamples?: string[];
  /** Faults scenario: rows of creates the browser saw refused. */
  writtenButRefused?: number;
}

export interface BenchResult {
  at: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  options: {
    devices: number;
    concurrency: number;
    durationMs: number;
    warmupMs: number;
    instances: number;
    generators: number;
    browserSide: string;
  };
  relay: SideResult;
  baseline: SideResult | null;
  correctness: Correctness;
  /** Section 4's socket caps, measured after the relay's run (absent on the baseline, which has none). */
  socketCaps?: SocketCaps;
}

/** Some devices opened sockets up to the per-device cap, then one more. */
export interface SocketCaps {
  cap: number;
  devices: number;
  /** Extra authenticated sockets the relay accepted (up to the cap). */
  opened: number;
  overCapRejected: number;
  overCapAccepted: number;
  failures: number;
  /** RSS growth per accepted extra socket. */
  memoryPerSocketKiB: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(latencies: number[], seconds: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    throughput: sorted.length / seconds,
    completed: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

/** Relay CPU per sign-in, in milliseconds: the cores the server used over the sign-ins it served. */
export function cpuPerSignin(side: SideResult): number {
  return side.throughput > 0 ? (side.serverCpuCores * 1000) / side.throughput : NaN;
}

/** Relays, PostgreSQL and Redis together, in milliseconds of CPU per sign-in (NaN without the services' figures). */
export function clusterCpuPerSignin(side: SideResult): number {
  if (side.postgresCpuCores == null || side.redisCpuCores == null || side.throughput <= 0) return NaN;
  return ((side.serverCpuCores + side.postgresCpuCores + side.redisCpuCores) * 1000) / side.throughput;
}

/** Whether the run was correct: nothing lost, duplicated, wrongly applied or failed, and no socket over its cap. */
export function correct(result: BenchResult): boolean {
  const { relay, correctness, socketCaps } = result;
  return (
    correctness.lost + correctness.duplicated + correctness.wrong === 0 &&
    relay.failures === 0 &&
    relay.connectedDevices === result.options.devices &&
    (socketCaps === undefined || socketCaps.overCapAccepted === 0)
  );
}

/**
 * Below this many devices the relay's fixed costs (buffers, compiled code, caches that fill once)
 * outweigh the devices' in the RSS difference, so memory per device says little: the smoke's 500
 * devices measure 13 KiB each where 10,000 measure 9–10.
 */
export const MEMORY_TARGET_MIN_DEVICES = 2_000;

/** The targets of docs/performance.md, each with its figure; `met` is null when not judged here (no baseline, too few devices). */
export function targets(result: BenchResult) {
  const { relay, baseline, correctness, options } = result;
  const memoryJudged = options.devices >= MEMORY_TARGET_MIN_DEVICES;
  const ratio = (of: (side: SideResult) => number) => (baseline ? of(relay) / of(baseline) : null);
  const throughput = ratio((side) => side.throughput);
  const p99 = ratio((side) => side.p99);
  const cpu = ratio(cpuPerSignin);
  const times = (value: number | null) => (value === null || Number.isNaN(value) ? '–' : `${value.toFixed(2)}×`);
  return [
    {
      target: `${options.devices} devices connected`,
      short: 'devices',
      figure: String(relay.connectedDevices),
      met: relay.connectedDevices === options.devices,
    },
    {
      target: 'throughput ≥ 0.6 × baseline',
      short: 'throughput ≥0.6×',
      figure: times(throughput),
      met: throughput === null ? null : throughput >= 0.6,
    },
    { target: 'p99 ≤ 2 × baseline', short: 'p99 ≤2×', figure: times(p99), met: p99 === null ? null : p99 <= 2 },
    {
      target: 'relay CPU per sign-in ≤ 3 × baseline',
      short: 'CPU/sign-in ≤3×',
      figure: `${fixed(cpuPerSignin(relay), 2)} ms, ${times(cpu)}`,
      met: cpu === null || Number.isNaN(cpu) ? null : cpu <= 3,
    },
    {
      target: '≤ 12 KiB relay memory per connected device',
      short: '≤12 KiB/device',
      figure: `${fixed(relay.memoryPerDeviceKiB)} KiB${memoryJudged ? '' : ` (judged from ${MEMORY_TARGET_MIN_DEVICES} devices)`}`,
      met: memoryJudged ? relay.memoryPerDeviceKiB <= 12 : null,
    },
    {
      target: 'zero lost, duplicated or wrong decisions',
      short: 'correct',
      figure: `${correctness.lost} lost, ${correctness.duplicated} duplicated, ${correctness.wrong} wrong, ${relay.failures} failed`,
      met: correct(result),
    },
  ];
}

/** One line for CI logs: every target's figure and whether it was met. */
export function summaryLine(result: BenchResult): string {
  const { relay, options } = result;
  const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'pass' : 'FAIL');
  const parts = targets(result)
    .filter(({ short }) => short !== 'devices')
    .map(({ short, figure, met }) => `${short}: ${figure} ${verdict(met)}`);
  return `bench ${options.devices} devices, ${options.instances} instance(s): ${fixed(relay.throughput, 0)} sign-ins/s · ${parts.join(' · ')}`;
}

export function markdownReport(result: BenchResult): string {
  const { relay, baseline, correctness, options, machine } = result;
  const ratio = (a: number, b: number | undefined) => (b === undefined || !b ? '–' : `${(a / b).toFixed(2)}×`);
  const row = (name: string, r: (s: SideResult) => string, ratioOf?: (s: SideResult) => number) =>
    `| ${name} | ${r(relay)} | ${baseline ? r(baseline) : '–'} | ${ratioOf ? ratio(ratioOf(relay), baseline ? ratioOf(baseline) : undefined) : ''} |`;
  const lines = [
    summaryLine(result),
    '',
    `**${options.devices} devices, concurrency ${options.concurrency}, ${options.durationMs / 1000} s measured after ${options.warmupMs / 1000} s warm-up, ${options.instances} relay instance(s)${options.instances > 1 ? ' over PostgreSQL + Redis' : ' on SQLite'}, ${options.generators} load-generator processes.** ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}. Browser side: ${options.browserSide}.`,
    '',
    '| figure | relay | baseline | relay / baseline |',
    '|---|---:|---:|---:|',
    row(
      'sign-ins per second',
      (s) => fixed(s.throughput, 0),
      (s) => s.throughput,
    ),
    row(
      'round trip p50 (ms)',
      (s) => fixed(s.p50),
      (s) => s.p50,
    ),
    row(
      'round trip p95 (ms)',
      (s) => fixed(s.p95),
      (s) => s.p95,
    ),
    row(
      'round trip p99 (ms)',
      (s) => fixed(s.p99),
      (s) => s.p99,
    ),
    row('failures', (s) => String(s.failures)),
    row('devices connected', (s) => String(s.connectedDevices)),
    row('server RSS idle → with devices (MiB)', (s) => `${fixed(s.serverRssBeforeMiB, 0)} → ${fixed(s.serverRssAfterMiB, 0)}`),
    row(
      'memory per connected device, RSS (KiB)',
      (s) => fixed(s.memoryPerDeviceKiB),
      (s) => s.memoryPerDeviceKiB,
    ),
    row('memory per connected device, JS heap (KiB)', (s) => fixed(s.heapPerDeviceKiB)),
    row('server CPU during the run (cores)', (s) => fixed(s.serverCpuCores, 2)),
    row('server CPU per sign-in (ms)', (s) => fixed(cpuPerSignin(s), 2), cpuPerSignin),
    ...(relay.eventLoopCores !== undefined
      ? [
          row(
            'event loop on a core / waiting for one (cores)',
            (s) => `${fixed(s.eventLoopCores, 2)} / ${fixed(s.eventLoopWaitingCores, 2)}`,
          ),
        ]
      : []),
    ...(relay.statementsPerSignin != null ? [row('database statements per sign-in', (s) => fixed(s.statementsPerSignin, 1))] : []),
    ...(relay.redisCommandsPerSignin != null
      ? [
          row('Redis commands per sign-in', (s) => fixed(s.redisCommandsPerSignin, 1)),
          row('PostgreSQL CPU during the run (cores)', (s) => fixed(s.postgresCpuCores, 2)),
          row('Redis CPU during the run (cores)', (s) => fixed(s.redisCpuCores, 2)),
          row('cluster CPU per sign-in: relays + PostgreSQL + Redis (ms)', (s) => fixed(clusterCpuPerSignin(s), 2)),
        ]
      : []),
    row('load generators CPU during the run (cores)', (s) => fixed(s.generatorCpuCores, 2)),
    '',
    `Correctness (relay): ${correctness.signinsCreated} sign-ins created, ${correctness.approvedInDatabase} approved in the database (${correctness.rowsInDatabase} rows); lost ${correctness.lost}, duplicated ${correctness.duplicated}, wrongly applied ${correctness.wrong}.`,
    '',
    '| target | figure | met |',
    '|---|---|---|',
    ...targets(result).map(
      ({ target, figure, met }) => `| ${target} | ${figure} | ${met === null ? 'not measured' : met ? 'yes' : '**no**'} |`,
    ),
  ];
  const caps = result.socketCaps;
  if (caps)
    lines.push(
      '',
      `Socket caps (section 4), after the run: ${caps.devices} devices opened sockets up to ${caps.cap} each (${caps.opened} extra accepted, ${fixed(caps.memoryPerSocketKiB)} KiB of relay RSS each), then a ${caps.cap + 1}th: ${caps.overCapRejected} rejected, ${caps.overCapAccepted} accepted${caps.failures ? `, ${caps.failures} devices failed to connect` : ''}.`,
    );
  const kinds = Object.entries(relay.failureKinds);
  if (kinds.length > 0) lines.push('', `Relay failures by kind: ${kinds.map(([kind, count]) => `${kind} ×${count}`).join(', ')}`);
  if (baseline && Object.keys(baseline.failureKinds).length > 0)
    lines.push(
      '',
      `Baseline failures by kind: ${Object.entries(baseline.failureKinds)
        .map(([kind, count]) => `${kind} ×${count}`)
        .join(', ')}`,
    );
  return lines.join('\n');
}

/** `--scenario password-spam`: the same sign-ins quiet and under a password spray, one invocation. */
export interface PasswordSpamResult {
  at: string;
  command: string;
  machine: BenchResult['machine'];
  options: Omit<BenchResult['options'], 'browserSide'> & {
    sprayConcurrency: number;
    sprayUsersWithPassword: number;
    sprayUsersWithoutPassword: number;
  };
  quiet: SideResult;
  spam: SideResult;
  /** What the sprayer's attempts were answered, by `status code`. */
  spray: { attempts: number; seconds: number; answers: Record<string, number> };
  /** The sprayed users' own password sign-ins during the spray (bench/password-probes.ts). */
  passwordSignins: PasswordProbeResult;
  correctness: Correctness;
}

/** `--scenario lockout-attack`: familiar browsers' sign-ins quiet and while strangers attack the same users. */
export interface LockoutAttackResult {
  at: string;
  command: string;
  machine: BenchResult['machine'];
  options: Omit<BenchResult['options'], 'browserSide'> & {
    attackAddresses: number;
    attackConcurrency: number;
    attackStreamsPerAddress: number;
  };
  quiet: SideResult;
  attack: SideResult;
  strangers: {
    attempts: number;
    seconds: number;
    answers: Record<string, number>;
    streams: { opened: number; refused: number; peakHeld: number };
  };
  /** Sign-in log rows the strangers left (requests and failed passwords). */
  strangerRows: number;
  correctness: Correctness;
}

/** The quiet run beside a scenario's: throughput, latencies, failures and the relay's CPU, with ratios. */
function scenarioRows(quiet: SideResult, other: SideResult, failures: string): string[] {
  const row = (name: string, r: (s: SideResult) => string, ratioOf?: (s: SideResult) => number) =>
    `| ${name} | ${r(quiet)} | ${r(other)} | ${ratioOf ? `${(ratioOf(other) / ratioOf(quiet)).toFixed(2)}×` : ''} |`;
  return [
    row(
      'sign-ins per second',
      (s) => fixed(s.throughput, 0),
      (s) => s.throughput,
    ),
    row(
      'round trip p50 (ms)',
      (s) => fixed(s.p50),
      (s) => s.p50,
    ),
    row(
      'round trip p95 (ms)',
      (s) => fixed(s.p95),
      (s) => s.p95,
    ),
    row(
      'round trip p99 (ms)',
      (s) => fixed(s.p99),
      (s) => s.p99,
    ),
    row(failures, (s) => String(s.failures)),
    row('server CPU during the run (cores)', (s) => fixed(s.serverCpuCores, 2)),
  ];
}

export function lockoutAttackReport(result: LockoutAttackResult): string {
  const { quiet, attack, strangers, options, machine, correctness } = result;
  const ratio = attack.p99 / quiet.p99;
  const answers = Object.entries(strangers.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([answer, count]) => `${answer} ×${count}`)
    .join(', ');
  const lines = [
    `**${options.devices} devices (one familiar browser each), concurrency ${options.concurrency}, ${options.durationMs / 1000} s measured after ${options.warmupMs / 1000} s warm-up, per run; one relay on SQLite with TRUST_PROXY=1, policy defaults but 1000 pushes per client per 10 min.** ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}. Strangers: ${options.attackConcurrency} loops from ${options.attackAddresses} addresses (half IPv4, half IPv6 in distinct /48s, by X-Forwarded-For) taking turns to fill the same users' pending slots, hold up to ${options.attackStreamsPerAddress} event streams per address, and spray wrong passwords at those users and at names that do not exist.`,
    '',
    '| familiar browsers | quiet | under attack | attack / quiet |',
    '|---|---:|---:|---:|',
    ...scenarioRows(quiet, attack, 'failed sign-ins'),
    '',
    `Strangers: ${strangers.attempts} attempts in ${fixed(strangers.seconds)} s; answers: ${answers}. Event streams: ${strangers.streams.opened} opened (at most ${strangers.streams.peakHeld} held at once), ${strangers.streams.refused} refused. ${result.strangerRows} sign-in log rows are theirs.`,
    '',
    `Correctness (both runs, familiar browsers' sign-ins): ${correctness.signinsCreated} created, ${correctness.approvedInDatabase} approved in the database (${correctness.rowsInDatabase} rows); lost ${correctness.lost}, duplicated ${correctness.duplicated}, wrongly applied ${correctness.wrong}.`,
    '',
    '| target | met |',
    '|---|---|',
    `| no familiar sign-in fails under the attack (${attack.failures}) | ${attack.failures === 0 ? 'yes' : '**no**'} |`,
    `| familiar sign-ins' p99 under the attack ≤ 2 × quiet (${ratio.toFixed(2)}×) | ${ratio <= 2 ? 'yes' : '**no**'} |`,
    `| zero lost, duplicated or wrong decisions | ${correctness.lost + correctness.duplicated + correctness.wrong === 0 && quiet.failures === 0 ? 'yes' : '**no**'} |`,
  ];
  const kinds = Object.entries(attack.failureKinds);
  if (kinds.length > 0)
    lines.push('', `Failures under the attack by kind: ${kinds.map(([kind, count]) => `${kind} ×${count}`).join(', ')}`);
  return lines.join('\n');
}

export function passwordSpamReport(result: PasswordSpamResult): string {
  const { quiet, spam, spray, options, machine, correctness } = result;
  const ratio = spam.p99 / quiet.p99;
  const answers = Object.entries(spray.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([answer, count]) => `${answer} ×${count}`)
    .join(', ');
  const lines = [
    `**${options.devices} devices, concurrency ${options.concurrency}, ${options.durationMs / 1000} s measured after ${options.warmupMs / 1000} s warm-up, per run; one relay on SQLite with TRUST_PROXY=1.** ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}. Spray: ${options.sprayConcurrency} wrong passwords in flight, each from a new X-Forwarded-For address, over ${options.sprayUsersWithPassword} users with a password, ${options.sprayUsersWithoutPassword} without and names that do not exist.`,
    '',
    '| figure | quiet | under the spray | spray / quiet |',
    '|---|---:|---:|---:|',
    ...scenarioRows(quiet, spam, 'failures'),
    '',
    `Spray: ${spray.attempts} attempts in ${fixed(spray.seconds)} s (${fixed(spray.attempts / spray.seconds, 0)}/s); answers: ${answers}.`,
    '',
    `The sprayed users' own password sign-ins during the spray (right password, one attempt each every 0.5 s; accepted means checked and found right): ${probeLine('familiar browsers', result.passwordSignins.familiar)}; ${probeLine('new browsers (a new address each time)', result.passwordSignins.newBrowsers)}.`,
    '',
    `Correctness (both runs): ${correctness.signinsCreated} sign-ins created, ${correctness.approvedInDatabase} approved in the database (${correctness.rowsInDatabase} rows); lost ${correctness.lost}, duplicated ${correctness.duplicated}, wrongly applied ${correctness.wrong}.`,
    '',
    '| target | met |',
    '|---|---|',
    `| approvals' p99 under the spray ≤ 2 × quiet (${ratio.toFixed(2)}×) | ${ratio <= 2 ? 'yes' : '**no**'} |`,
    `| no familiar browser's password sign-in refused (${result.passwordSignins.familiar.refused} of ${result.passwordSignins.familiar.attempts}) | ${result.passwordSignins.familiar.refused === 0 && result.passwordSignins.familiar.attempts > 0 ? 'yes' : '**no**'} |`,
    `| zero lost, duplicated or wrong decisions | ${correctness.lost + correctness.duplicated + correctness.wrong === 0 && quiet.failures + spam.failures === 0 ? 'yes' : '**no**'} |`,
  ];
  const kinds = Object.entries(spam.failureKinds);
  if (kinds.length > 0) lines.push('', `Failures under the spray by kind: ${kinds.map(([kind, count]) => `${kind} ×${count}`).join(', ')}`);
  return lines.join('\n');
}

function probeLine(who: string, counts: ProbeCounts): string {
  const other = Object.entries(counts.other).map(([answer, count]) => `${answer} ×${count}`);
  return `${who} ${counts.attempts} attempts, ${counts.accepted} accepted, ${counts.refused} refused${other.length > 0 ? `, other: ${other.join(', ')}` : ''}`;
}
