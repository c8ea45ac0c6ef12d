import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../relay-server/config.ts';
import { startRelay } from '../../testing/start-relay.ts';

const modeOf = (file: string) => statSync(file).mode & 0o777;

function scratch(): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'countersign-modes-'));
  onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
  return parent;
}

describe.skipIf(process.platform === 'win32')('DATA_DIR, the database and the admin token', () => {
  it('are created readable by the relay user only: the folder 0700, the files 0600', async () => {
    const previous = process.umask(0o022); // the usual umask, which gave 0755 and 0644 before
    try {
      const dataDir = path.join(scratch(), 'nested', 'data');
      const running = await startRelay({ demo: false, dataDir, removeDataDir: false });
      onTestFinished(() => running.stop());
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(path.join(dataDir, 'admin-token'))).toBe(0o600);
      for (const file of ['countersign.db', 'countersign.db-wal', 'countersign.db-shm']) {
        const full = path.join(dataDir, file);
        if (file === 'countersign.db' || existsSync(full)) expect(modeOf(full), file).toBe(0o600);
      }
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an admin token and a database an older version left 0644, and warns about a folder others can enter', async () => {
    const dataDir = scratch();
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'admin-token'), 'an-old-admin-token-0123456789\n', { mode: 0o644 });
    writeFileSync(path.join(dataDir, 'countersign.db'), '', { mode: 0o644 });
    chmodSync(path.join(dataDir, 'countersign.db'), 0o644);
    expect(loadConfig({ DATA_DIR: dataDir }).warnings.some((warning) => warning.includes('chmod 700'))).toBe(true);
    const running = await startRelay({ demo: false, dataDir, removeDataDir: false });
    onTestFinished(() => running.stop());
    expect(running.adminToken).toBe('an-old-admin-token-0123456789');
    expect(modeOf(path.join(dataDir, 'admin-token'))).toBe(0o600);
    expect(modeOf(path.join(dataDir, 'countersign.db'))).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o755); // an existing folder is the operator's: warned about, not changed
  });
});
