import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

/** Runs `npm run relay`'s entry with this environment; resolves when it exits (or is stopped). */
function runRelay(env: Record<string, string>, stopWhen?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-origin-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'relay-server', 'main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ADMIN_TOKEN: 'an-origin-test-admin-token-0123', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const check = () => {
    if (stopWhen && stopWhen.test(stdout + stderr) && child.exitCode === null) child.kill('SIGTERM');
  };
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString('utf8')), check()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString('utf8')), check()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('the relay process and its origin', () => {
  it('refuses to start on a plain-http origin off loopback, saying why and what to do', async () => {
    const { code, stdout, stderr } = await runRelay({ RELAY_ORIGIN: 'http://signin.example.com' });
    expect(code).toBe(2);
    expect(stderr).toContain('RELAY_ORIGIN http://signin.example.com is plain http');
    expect(stderr).toContain('ALLOW_INSECURE_ORIGIN=1');
    expect(stdout).not.toContain('listening');
  });

  it('starts on it with ALLOW_INSECURE_ORIGIN=1 and prints a warning', async () => {
    const { stdout, stderr } = await runRelay({ RELAY_ORIGIN: 'http://signin.example.com', ALLOW_INSECURE_ORIGIN: '1' }, /listening on/);
    expect(stderr).toMatch(/^Warning: RELAY_ORIGIN http:\/\/signin\.example\.com is plain http/m);
    expect(stdout).toContain('Countersign relay listening on http://signin.example.com');
  });
});
