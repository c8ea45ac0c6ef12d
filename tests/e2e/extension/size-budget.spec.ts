import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { EXTENSION_BUDGET_BYTES, describeSize, measureExtension } from '../../../extension/build/size-budget.ts';

// The builds npm test made just before the e2e suite (build:firefox, build:extension).
for (const target of ['chrome-mv3', 'firefox-mv2']) {
  test(`the ${target} build stays within 190 KB without icons`, () => {
    const size = measureExtension(join(process.cwd(), '.output', target));
    expect(size.files.map((file) => file.path)).toContain('background.js');
    expect(size.total, describeSize(size)).toBeLessThanOrEqual(EXTENSION_BUDGET_BYTES);
    // The worker carries no curve library (not even the PIN OPRF, which only the PIN pages load) and no polyfill.
    expect(size.background, describeSize(size)).toBeLessThanOrEqual(64 * 1024);
    const background = readFileSync(join(process.cwd(), '.output', target, 'background.js'), 'utf8');
    expect(background).not.toMatch(/OPRFV1|P256-SHA256|expand_message_xmd|hash_to_field/);
  });
}

test('the measure counts every file but icons and source maps, and flags a build over budget', () => {
  const dir = mkdtempSync(join(process.cwd(), '.tmp', 'size-'));
  try {
    mkdirSync(join(dir, 'icon'));
    mkdirSync(join(dir, 'chunks'));
    writeFileSync(join(dir, 'icon', '128.png'), Buffer.alloc(40_000));
    writeFileSync(join(dir, 'background.js'), Buffer.alloc(100_000));
    writeFileSync(join(dir, 'background.js.map'), Buffer.alloc(500_000));
    writeFileSync(join(dir, 'chunks', 'popup.js'), Buffer.alloc(50_000));
    const within = measureExtension(dir);
    expect(within.total).toBe(150_000);
    writeFileSync(join(dir, 'chunks', 'oprf.js'), Buffer.alloc(EXTENSION_BUDGET_BYTES - 150_000));
    expect(within.withinBudget).toBe(true);
    writeFileSync(join(dir, 'manifest.json'), Buffer.alloc(1));
    const over = measureExtension(dir);
    expect(over.total).toBe(EXTENSION_BUDGET_BYTES + 1);
    expect(over.withinBudget).toBe(false);
    expect(describeSize(over)).toContain('OVER BUDGET');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
