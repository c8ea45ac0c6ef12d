import { request, Agent } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNginx, startNginxWith, type RunningProxy } from '../testing/reverse-proxies.ts';
import { cpuSeconds, freePort, startServer } from './processes.ts';

/**
 * `npm run bench -- --scenario forward-auth`: requests per second through nginx with the README's
 * forward-auth configuration (every request checked by the relay, then served by the Team
 * Dashboard), against a bare nginx `location / { return 200; }` on the same machine. The relay
 * runs as its own process, as `npm run relay` would.
 */
export interface ForwardAuthBenchOptions {
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  jsonOut: string;
}

interface LoadResult {
  requests: number;
  failures: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const log = (line: string) => console.log(`[bench] ${line}`);

function get(
  agent: Agent,
  port: number,
  pathname: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: pathname, agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** `concurrency` keep-alive loops of GET for `durationMs` after a warm-up; 200 is success. */
async function load(port: number, headers: Record<string, string>, options: ForwardAuthBenchOptions, pathname = '/'): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let failures = 0;
  let measuring = false;
  let stopAt = Date.now() + options.warmupMs + options.durationMs;
  setTimeout(() => {
    measuring = true;
    stopAt = Date.now() + options.durationMs;
  }, options.warmupMs);
  let started = 0;
  const loop = async () => {
    while (Date.now() < stopAt) {
      const begin = performance.now();
      const counted = measuring;
      if (counted && started === 0) started = Date.now();
      try {
        const answer = await get(agent, port, pathname, headers);
        if (!counted) continue;
        if (answer.status === 200) latencies.push(performance.now() - begin);
        else failures += 1;
      } catch {
        if (counted) failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const seconds = options.durationMs / 1000;
  return { requests: latencies.length, failures, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/** A relay session for a password user, turned into a forward-auth cookie the way a browser gets one. */
async function forwardAuthCookie(relayPort: number, siteUrl: string): Promise<string> {
  const agent = new Agent({ keepAlive: false });
  const origin = `http://127.0.0.1:${relayPort}`;
  const json = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` };
  const post = (pathname: string, method: string, body: unknown) =>
    fetch(`${origin}${pathname}`, { method, headers: json, body: JSON.stringify(body) }).then((r) => {
      if (!r.ok) throw new Error(`${method} ${pathname}: ${r.status}`);
    });
  await post('/api/v1/admin/users', 'POST', {
    upn: 'bench@bench.test',
    displayName: 'Bench User',
    password: 'bench-password-123',
    groups: ['staff'],
  });
  await post('/api/v1/admin/forward-auth', 'PUT', { rules: [{ host: '127.0.0.1', groups: ['staff'], policy: 'session' }] });
  const cookies = new Map<string, string>();
  const keep = (setCookie: string | string[] | undefined) => {
    for (const line of [setCookie ?? []].flat()) {
      const [pair = ''] = line.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
  };
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const page = await get(agent, relayPort, '/signin/password', {});
  keep(page.headers['set-cookie']);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const form = new URLSearchParams({ upn: 'bench@bench.test', password: 'bench-password-123', csrf }).toString();
  const signedIn = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: relayPort,
        path: '/signin/password',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin,
          cookie: cookieHeader(),
          'content-length': Buffer.byteLength(form),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 303 ? resolve(response.headers) : reject(new Error(`password sign-in: ${response.statusCode}`)),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(form);
  });
  keep(signedIn['set-cookie']);
  const back = await get(agent, relayPort, `/signin?rd=${encodeURIComponent(siteUrl)}`, { cookie: cookieHeader() });
  keep(back.headers['set-cookie']);
  const handle = cookies.get('countersign_forward_auth');
  if (back.status !== 303 || !handle) throw new Error(`no forward-auth cookie (${back.status})`);
  return handle;
}

export async function forwardAuthBench(options: ForwardAuthBenchOptions): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-bench-fa-'));
  const relayPort = await freePort();
  const relay = await startServer(
    path.join(import.meta.dirname, '..', 'relay-server', 'main.ts'),
    { PORT: String(relayPort), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_TOKEN, LOG_LEVEL: 'warn' },
    /listening on/,
  );
  // The app in a process of its own, as the relay: the load generator keeps this one busy.
  const appPort = await freePort();
  const app = await startServer(
    path.join(import.meta.dirname, '..', 'examples', 'team-dashboard', 'server.ts'),
    { PORT: String(appPort) },
    /Team Dashboard/,
  );
  let protectedSite: RunningProxy | undefined;
  let bare: RunningProxy | undefined;
  try {
    protectedSite = await startNginx({ hosts: ['127.0.0.1'], app: `127.0.0.1:${appPort}`, relay: `127.0.0.1:${relayPort}` });
    const barePort = await freePort();
    bare = await startNginxWith(`server {\n    listen 127.0.0.1:${barePort};\n    location / { return 200; }\n}\n`, barePort);
    const cookie = await forwardAuthCookie(relayPort, `${protectedSite.url('127.0.0.1')}/`);
    const headers = { cookie: `countersign_forward_auth=${cookie}` };
    const check = await get(new Agent(), protectedSite.port, '/', headers);
    if (check.status !== 200 || !check.body.includes('bench@bench.test')) throw new Error(`the protected site answered ${check.status}`);

    log(`bare nginx (return 200): ${options.concurrency} connections, ${options.durationMs / 1000} s...`);
    const baseline = await load(bare.port, {}, options);
    log(`  ${baseline.perSecond.toFixed(0)} requests/s, p99 ${baseline.p99.toFixed(2)} ms, ${baseline.failures} failures`);
    log('the relay check alone (as nginx asks it, over keep-alive)...');
    const checkHeaders = {
      ...headers,
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': '127.0.0.1',
      'x-forwarded-uri': '/',
    };
    const checkOnly = await load(relayPort, checkHeaders, { ...options }, '/api/v1/forward-auth');
    log(`  ${checkOnly.perSecond.toFixed(0)} checks/s, p99 ${checkOnly.p99.toFixed(2)} ms, ${checkOnly.failures} failures`);
    log('nginx + forward auth (relay check, then the Team Dashboard)...');
    const cpuBefore = cpuSeconds(relay.pid);
    const checked = await load(protectedSite.port, headers, options);
    const relayCpu = cpuSeconds(relay.pid) - cpuBefore;
    log(
      `  ${checked.perSecond.toFixed(0)} requests/s (${((checked.perSecond / baseline.perSecond) * 100).toFixed(1)} % of bare nginx), p99 ${checked.p99.toFixed(2)} ms, ${checked.failures} failures; relay CPU ${relayCpu.toFixed(1)} s`,
    );
    const result = {
      scenario: 'forward-auth',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      concurrency: options.concurrency,
      durationSeconds: options.durationMs / 1000,
      bareNginx: baseline,
      relayCheckAlone: checkOnly,
      forwardAuth: { ...checked, relayCpuSeconds: relayCpu },
      ratio: checked.perSecond / baseline.perSecond,
    };
    mkdirSync(path.dirname(options.jsonOut), { recursive: true });
    writeFileSync(options.jsonOut, JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${options.jsonOut}`);
  } finally {
    await protectedSite?.stop();
    await bare?.stop();
    await app.stop();
    await relay.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
