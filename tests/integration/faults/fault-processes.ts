import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { vi } from 'vitest';

/** Processes the fault tests start, kill and restart: relay instances and a private Redis. */

const root = path.resolve(import.meta.dirname, '..', '..', '..');

export interface ChildServer {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** SIGKILL: no shutdown, no goodbye to the sockets; what a crash or an OOM kill looks like. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

function wrap(child: ChildProcess): ChildServer {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    child,
    exited,
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready:\n${output}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** `npm run relay` as a separate process (so it can be killed with -9), ready when it listens. */
export async function startRelayProcess(env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'relay-server', 'main.ts')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, /listening on/, 'relay');
  return wrap(child);
}

/** A redis-server of the test's own, in the foreground so its pid is ours to stop. */
export async function startRedis(port: number): Promise<ChildServer> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, /Ready to accept connections/, 'redis-server');
  return wrap(child);
}

/** Waits (vi.waitFor) until a condition holds, the state the test waits for; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe().catch((error: unknown) => {
        throw new Error(`timed out waiting for ${what}: ${String(error)}`);
      });
      if (value === undefined || value === false) throw new Error(`timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

/** GET a path and return status and JSON body (null when not JSON); never throws on status. */
export async function getJson(origin: string, pathname: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${origin}${pathname}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, body };
}
