import { defineConfig } from 'vitest/config';

// Unit, integration and security (attacker) tests; tests/e2e belongs to Playwright (playwright.config.ts).
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/security/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**', '.output/**'],
    environment: 'node',
    testTimeout: 20_000,
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
  },
});
