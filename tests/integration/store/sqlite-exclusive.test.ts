import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../relay-server/store/store.ts';

const STORE_MODULE = pathToFileURL(path.resolve('relay-server/store/store.ts')).href;

/** The relay holds its SQLite file exclusively while it runs (relay-server/store/open-sqlite.ts). */
describe('the SQLite file', () => {
  const open: Store[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-exclusive-'));
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is refused to a second relay on the same DATA_DIR, with a message that says why, and the first keeps working', async () => {
    const first = await openStore({ dataDir });
    open.push(first);
    // Another process, as a second relay would be.
    const second = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${STORE_MODULE}').then((m) => m.openStore({ dataDir: ${JSON.stringify(dataDir)} })).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(second.status).toBe(3);
    expect(second.stderr).toMatch(/in use by another process .*DATA_DIR/);
    await first.policy.put({ ...(await first.policy.get()), maxPushesPer10Min: 7 }, Date.now());
    expect((await first.policy.get()).maxPushesPer10Min).toBe(7);
  });

  it('is free again once the relay holding it closes, and keeps what it wrote', async () => {
    const first = await openStore({ dataDir });
    await first.policy.put({ ...(await first.policy.get()), maxPushesPer10Min: 9 }, Date.now());
    await first.close();
    const second = await openStore({ dataDir });
    open.push(second);
    expect((await second.policy.get()).maxPushesPer10Min).toBe(9);
  });
});
