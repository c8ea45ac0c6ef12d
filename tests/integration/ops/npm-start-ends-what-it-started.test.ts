import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// `npm start` runs the relay and the sample app; whoever stops it (by its PID, Ctrl-C, or by
// killing what started it) must get both ports back, not two orphans holding 8787 and 3000.

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Started {
  npm: ChildProcess;
  relayPort: number;
  appPort: number;
  dataDir: string;
  output: () => string;
}

const started: Started[] = [];

afterEach(() => {
  // A failed test must not leave servers behind: the test started npm in a process group of its own.
  for (const run of started.splice(0)) {
    try {
      process.kill(-run.npm.pid!, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
    rmSync(run.dataDir, { recursive: true, force: true });
  }
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

async function waitUntil(what: string, condition: () => Promise<boolean>, output: () => string, timeoutMs: number): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`timed out waiting for ${what}; npm start printed:\n${output()}`);
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

async function startNpmStart(): Promise<Started> {
  const [relayPort, appPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-npm-start-'));
  let text = '';
  const child = spawn(npm, ['start', '--', '--no-build'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(relayPort), SAMPLE_APP_PORT: String(appPort), DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const run: Started = { npm: child, relayPort, appPort, dataDir, output: () => text };
  started.push(run);
  const answers = (url: string) =>
    fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
  await waitUntil('the relay', () => answers(`http://127.0.0.1:${relayPort}/readyz`), run.output, 60_000);
  await waitUntil('the sample app', () => answers(`http://127.0.0.1:${appPort}/`), run.output, 60_000);
  return run;
}

async function expectPortsFreed(run: Started): Promise<void> {
  await waitUntil(
    'both ports to be free',
    async () => !(await listening(run.relayPort)) && !(await listening(run.appPort)),
    run.output,
    15_000,
  );
  expect(await listening(run.relayPort)).toBe(false);
  expect(await listening(run.appPort)).toBe(false);
}

describe('npm start', () => {
  it('frees the relay and sample-app ports when its PID gets SIGTERM', async () => {
    const run = await startNpmStart();
    const exited = new Promise<void>((resolve) => run.npm.once('exit', () => resolve()));
    process.kill(run.npm.pid!, 'SIGTERM');
    await exited;
    await expectPortsFreed(run);
  }, 120_000);

  it('frees both ports when npm itself is killed with SIGKILL', async () => {
    const run = await startNpmStart();
    process.kill(run.npm.pid!, 'SIGKILL');
    await expectPortsFreed(run);
  }, 120_000);

  it('frees both ports when scripts/start.mjs itself is killed with SIGKILL', async () => {
    const run = await startNpmStart();
    const startScript = childPids(run.npm.pid!);
    expect(startScript).toHaveLength(1);
    process.kill(startScript[0]!, 'SIGKILL');
    await expectPortsFreed(run);
  }, 120_000);
});

/** The PIDs whose parent is `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return (
          readFileSync(`/proc/${entry}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}
