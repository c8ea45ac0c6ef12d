import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run lint` and `npm run format:check` guard every change; this proves they can fail at all: the project's own
// configurations, run on files seeded with a violation, must name it, and must pass a clean control file.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let folder: string;

const FLOATING_PROMISE = `export async function save(): Promise<void> {}

export function onClick(): void {
  save();
}
`;
const BADLY_FORMATTED = `export const greeting = "hello" ;
export function   shout(text:string){return text.toUpperCase()}
`;
const CLEAN = `export async function save(): Promise<void> {}

export async function onClick(): Promise<void> {
  await save();
}

export const greeting = 'hello';
`;

beforeAll(() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  folder = mkdtempSync(join(root, '.tmp', 'lint-format-'));
  // Its own small tsconfig, so the type-aware rules have a program without loading the whole repository.
  const tsconfig = { compilerOptions: { strict: true, target: 'ES2022', module: 'ESNext', lib: ['ES2023'], types: [], noEmit: true } };
  writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify(tsconfig));
  writeFileSync(join(folder, 'floating-promise.ts'), FLOATING_PROMISE);
  writeFileSync(join(folder, 'badly-formatted.ts'), BADLY_FORMATTED);
  writeFileSync(join(folder, 'clean.ts'), CLEAN);
});

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('the lint check (eslint.config.js)', () => {
  const lint = async (name: string) => {
    // `ignore: false`: the project ignores .tmp/, where these files live; every rule still comes from eslint.config.js.
    const eslint = new ESLint({ cwd: root, ignore: false });
    const [result] = await eslint.lintFiles([join(folder, name)]);
    return result!.messages.map((message) => message.ruleId ?? message.message);
  };

  it('reports a promise nobody awaits as @typescript-eslint/no-floating-promises', async () => {
    expect(await lint('floating-promise.ts')).toContain('@typescript-eslint/no-floating-promises');
  });

  it('passes the clean control file', async () => {
    expect(await lint('clean.ts')).toEqual([]);
  });
});

describe('the format check (.prettierrc.json)', () => {
  const isFormatted = async (name: string) => {
    const file = join(folder, name);
    const options = await prettier.resolveConfig(file, { editorconfig: false });
    expect(options).toMatchObject({ printWidth: 140, singleQuote: true });
    return prettier.check(readFileSync(file, 'utf8'), { ...options, filepath: file });
  };

  it('finds the badly formatted file not formatted', async () => {
    expect(await isFormatted('badly-formatted.ts')).toBe(false);
  });

  it('passes the clean control file', async () => {
    expect(await isFormatted('clean.ts')).toBe(true);
  });
});
