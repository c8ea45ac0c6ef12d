import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The extension's size budget: everything the browser downloads
 * except the icons, at most 190 KB (150 KB before the PIN OPRF of protocol revision 3, which the PIN pages carry). Measured on the built folder, so the build can report it and a
 * test can hold it.
 */
export const EXTENSION_BUDGET_BYTES = 190 * 1024;

export interface ExtensionSize {
  /** Bytes of every file but the icons. */
  total: number;
  /** Bytes of the background script (the service worker in Chromium), the part that runs all the time. */
  background: number;
  files: { path: string; bytes: number }[];
  withinBudget: boolean;
}

const isIcon = (path: string) => /^icons?\//.test(path) || path.endsWith('.png');

export function measureExtension(dir: string): ExtensionSize {
  const files = listFiles(dir)
    .map((file) => ({ path: relative(dir, file).split('\\').join('/'), bytes: statSync(file).size }))
    .filter((file) => !isIcon(file.path) && !file.path.endsWith('.map'))
    .sort((a, b) => b.bytes - a.bytes);
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  const background = files.find((file) => file.path === 'background.js')?.bytes ?? 0;
  return { total, background, files, withinBudget: total <= EXTENSION_BUDGET_BYTES };
}

/** One line for the build output: "Extension size: 139.2 KB of 190 KB without icons (background 50.0 KB)". */
export function describeSize(size: ExtensionSize): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const verdict = size.withinBudget ? '' : ` OVER BUDGET by ${kb(size.total - EXTENSION_BUDGET_BYTES)}`;
  return `Extension size: ${kb(size.total)} of ${kb(EXTENSION_BUDGET_BYTES)} without icons (background ${kb(size.background)})${verdict}`;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
