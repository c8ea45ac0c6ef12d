import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit, integration and security (attacker) tests; tests/e2e belongs to Playwright (playwright.config.ts).
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/security/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**', '.output/**'],
    environment: 'node',
    testTimeout: 20_000,
    pool: 'forks',
    // Vitest's default is one fork per core but one, so a single fork on 2 cores. Most of these
    // tests wait on sockets and child processes: two forks took the suite from 8.3 to 5.2 minutes
    // here, with every test passing.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['tests/global-setup.ts'],
  },
});
