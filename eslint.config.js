// @ts-check
// ESLint for the whole repository (`npm run lint`): JavaScript's and typescript-eslint's recommended sets, type-aware,
// plus the rules that catch what bites this code most: promises nobody awaits (a service worker that stops mid-way,
// a relay that swallows an error) and imports that stay at run time although only their types are used.
// Formatting is Prettier's job (`npm run format:check`), so nothing here is about layout.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '.output/',
      '.wxt/',
      '.tmp/',
      'node_modules/',
      'coverage/',
      'data/',
      'test-results/',
      'playwright-report/',
      'bench/results/',
      'examples/qa-kit/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // tsconfig.json types every .ts file; the loose JavaScript files get TypeScript's defaults.
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'testing/*.cjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      // `_`-prefixed names are deliberate placeholders (a destructured field left out, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A `let` declared early so a closure can read it once it is set (relay.ts's hub) is not a constant.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Playwright fixtures that use no other fixture must say so with `async ({}, use) => …`.
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
      // Turned off because they fight the code's deliberate style rather than catch bugs:
      // - `async` without `await` implements a Promise-returning interface (fakes, stores) and turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // - callbacks are declared with method syntax (`onDone(): void`) and Kysely's and Playwright's helpers are destructured;
      //   none of them uses `this`, so every report was a false alarm.
      '@typescript-eslint/unbound-method': 'off',
      // - `string | ':memory:'` and `string | 'auto'` name the special value a parameter accepts; that is documentation.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    // Migrations run against whatever schema the database has at that step, so Kysely types them `Kysely<any>` (its own pattern).
    files: ['relay-server/store/migrations.ts', 'relay-server/store/prepared-query.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests read JSON answers as `any` and pin them down with `expect`, feed deliberately ill-typed input,
    // and their fake fetches stringify arguments they know are strings.
    files: ['tests/**'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The relay pages' browser scripts: classic scripts (no modules), typed by JSDoc and checked by tsconfig.pages.json.
    files: ['relay-server/pages/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: globals.browser,
      parserOptions: { projectService: false, project: './tsconfig.pages.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['eslint.config.js', 'scripts/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
