import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as kit from '../../../testing/index.ts';

// Issue 23: the QA kit installs into a project of its own as the README's "Use it in your project"
// says (examples/qa-kit runs that in CI): ESM entry points that exist, @playwright/test as a peer,
// the sample-app helpers exported, and a CommonJS project told what to change.

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

describe('the countersign package as a QA kit', () => {
  it('points every export at a file that exists', () => {
    for (const [entry, target] of Object.entries(manifest.exports)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
        expect(existsSync(path.join(root, file)), `${entry} → ${file}`).toBe(true);
      }
    }
  });

  it('takes @playwright/test from the project (an optional peer dependency), not a copy of its own', () => {
    expect(manifest.peerDependencies?.['@playwright/test']).toBeDefined();
    expect(manifest.peerDependenciesMeta?.['@playwright/test']?.optional).toBe(true);
  });

  it('exports the sample-app helpers and the app registration', () => {
    expect(typeof kit.startRegisteredSampleApp).toBe('function');
    expect(typeof kit.startSignInAtApp).toBe('function');
    expect(typeof kit.startSampleApp).toBe('function');
    expect(typeof kit.registerOidcApp).toBe('function');
  });

  it('tells a CommonJS project that it is an ES module and how to import it', () => {
    const requireFromProject = createRequire(path.join(root, 'package.json'));
    for (const entry of ['countersign/testing', 'countersign/testing/fixture']) {
      expect(() => requireFromProject(entry)).toThrow(/is an ES module[\s\S]*"type": "module"[\s\S]*import \{ test, expect \}/);
    }
  });

  it('has an example project that installs the kit by path and runs its own Playwright', () => {
    const example = JSON.parse(readFileSync(path.join(root, 'examples', 'qa-kit', 'package.json'), 'utf8')) as {
      type?: string;
      devDependencies: Record<string, string>;
    };
    expect(example.type).toBe('module');
    expect(example.devDependencies.countersign).toBe('file:../..');
    expect(example.devDependencies['@playwright/test']).toBeDefined();
  });
});
