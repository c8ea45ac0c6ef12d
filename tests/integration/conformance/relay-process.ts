import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run relay` as a user runs it: a separate process configured from the environment, seen
 * only through HTTP and WebSockets. The conformance tests know nothing of its insides.
 */
export interface RelayProcess {
  origin: string;
  adminToken: string;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts the relay and resolves once it says it listens, or rejects with what it printed. */
export async function startRelayProcess(env: Record<string, string> = {}): Promise<RelayProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-conformance-'));
  const port = await freePort();
  const adminToken = 'conformance-admin-token-0123456789';
  const child = spawn(TSX, ['relay-server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = () => stopProcess(child).finally(() => rmSync(dataDir, { recursive: true, force: true }));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes('listening on')) {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new RelayExitError(code, output));
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { origin: env.RELAY_ORIGIN ?? `http://127.0.0.1:${port}`, adminToken, output: () => output, stop };
}

export class RelayExitError extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`the relay exited with ${code}: ${output}`);
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
