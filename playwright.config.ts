import { defineConfig } from '@playwright/test';
import { findChromium } from './testing/playwright-fixture.ts';

// E2E: real Chromium (see docs/environment.md), the built extension and in-process relays.
// One worker: the machine has 2 cores and every test runs a browser and a relay.
export default defineConfig({
  testDir: 'tests/e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? 'line' : 'list',
  outputDir: '.tmp/test-results',
  use: {
    headless: true,
    launchOptions: { executablePath: findChromium(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] },
    trace: 'retain-on-failure',
    actionTimeout: 10_000,
  },
});
