import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * nginx and Caddy in front of an app, configured from the very files the README shows
 * (examples/forward-auth/), for the forward-auth tests and the `npm start` demo. Each runs from a
 * temporary folder on a loopback port, as the user running it, and stops by its own PID.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
export const NGINX_EXAMPLE = path.join(ROOT, 'examples', 'forward-auth', 'nginx.conf');
export const CADDY_EXAMPLE = path.join(ROOT, 'examples', 'forward-auth', 'Caddyfile');

/** The names the examples use, replaced by each start. */
const EXAMPLE_SITE = 'dash.example.com';
const EXAMPLE_APP = '127.0.0.1:3001';
const EXAMPLE_RELAY = '127.0.0.1:8787';

export interface ProxyOptions {
  /** Hostnames to protect (one site each, as the example's one). */
  hosts: string[];
  /** host:port of the app behind the proxy. */
  app: string;
  /** host:port of the relay. */
  relay: string;
  /** Port to listen on (127.0.0.1); a free one when unset. */
  port?: number;
}

export interface RunningProxy {
  kind: 'nginx' | 'caddy';
  port: number;
  /** The proxy's process (nginx's master), for a last-moment kill when its starter exits. */
  pid: number;
  /** http://{host}:{port} for one of the hosts. */
  url(host: string): string;
  stop(): Promise<void>;
  /** What the proxy wrote to its error log (for a failing test's message). */
  log(): string;
}

export class ProxyMissingError extends Error {}

const INSTALL = 'apt-get install -y nginx-light caddy (Debian and Ubuntu packages)';

function findBinary(name: 'nginx' | 'caddy', envName: string, candidates: string[]): string {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ProxyMissingError(`${envName}=${fromEnv} does not exist.`);
    return fromEnv;
  }
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name));
  const found = [...candidates, ...onPath].find((candidate) => existsSync(candidate));
  if (!found) throw new ProxyMissingError(`${name} is not installed: ${INSTALL}, or set ${envName} to its binary.`);
  return found;
}

export const nginxBinary = () => findBinary('nginx', 'COUNTERSIGN_NGINX', ['/usr/sbin/nginx', '/usr/local/sbin/nginx']);
export const caddyBinary = () => findBinary('caddy', 'COUNTERSIGN_CADDY', ['/usr/bin/caddy', '/usr/local/bin/caddy']);

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The README's nginx server block, once per host, listening on 127.0.0.1:{port} without TLS. */
export function nginxSites(options: Required<ProxyOptions>): string {
  const example = readFileSync(NGINX_EXAMPLE, 'utf8');
  const block = example.slice(example.indexOf('server {'));
  return options.hosts
    .map((host) =>
      block
        .replace('listen 443 ssl;', `listen 127.0.0.1:${options.port};`)
        .replace(/^\s*ssl_certificate.*\n/gm, '')
        .replaceAll(EXAMPLE_SITE, host)
        .replaceAll(EXAMPLE_APP, options.app)
        .replaceAll(EXAMPLE_RELAY, options.relay),
    )
    .join('\n');
}

/** The README's Caddyfile site, once per host, on http://{host}:{port} bound to 127.0.0.1. */
export function caddySites(options: Required<ProxyOptions>): string {
  const example = readFileSync(CADDY_EXAMPLE, 'utf8');
  const block = example.slice(example.indexOf(`${EXAMPLE_SITE} {`));
  const global = '{\n\tadmin off\n\tauto_https off\n}\n';
  return (
    global +
    options.hosts
      .map((host) =>
        block
          .replace(`${EXAMPLE_SITE} {`, `http://${host}:${options.port} {\n\tbind 127.0.0.1`)
          .replaceAll(EXAMPLE_SITE, host)
          .replaceAll(EXAMPLE_APP, options.app)
          .replaceAll(EXAMPLE_RELAY, options.relay),
      )
      .join('\n')
  );
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the proxy exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the proxy did not listen on ${port} within 15 s:\n${log()}`);
}

async function run(
  kind: 'nginx' | 'caddy',
  binary: string,
  args: string[],
  dir: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<RunningProxy> {
  let output = '';
  const child = spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = () => {
    const errorLog = path.join(dir, 'error.log');
    return output + (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, log);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    kind,
    port,
    pid: child.pid!,
    url: (host) => `http://${host}:${port}`,
    log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx in the foreground, from a folder of its own: pid, logs and temp paths all inside it. */
export async function startNginx(options: ProxyOptions): Promise<RunningProxy> {
  const port = options.port ?? (await freeLoopbackPort());
  return startNginxWith(nginxSites({ ...options, port }), port);
}

/** nginx serving `sites` (server blocks listening on 127.0.0.1:{port}); the bench's bare baseline uses it too. */
export async function startNginxWith(sites: string, port: number): Promise<RunningProxy> {
  const binary = nginxBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-nginx-'));
  chmodSync(dir, 0o755); // workers may run as another user when started as root
  for (const temp of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, temp));
  const config = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path ${dir}/client;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${sites}
}
`;
  writeFileSync(path.join(dir, 'nginx.conf'), config);
  return run(
    'nginx',
    binary,
    ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'],
    dir,
    port,
    process.env,
  );
}

/** Caddy in the foreground with its admin endpoint off and its storage inside its own folder. */
export async function startCaddy(options: ProxyOptions): Promise<RunningProxy> {
  const binary = caddyBinary();
  const port = options.port ?? (await freeLoopbackPort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-caddy-'));
  writeFileSync(path.join(dir, 'Caddyfile'), caddySites({ ...options, port }));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') };
  return run('caddy', binary, ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], dir, port, env);
}
