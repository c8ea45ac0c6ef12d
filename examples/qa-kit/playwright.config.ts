import { defineConfig } from '@playwright/test';

// The kit starts its own Chromium (COUNTERSIGN_CHROMIUM, Playwright's, or /usr/bin/chromium) and relay.
export default defineConfig({
  testDir: 'tests',
  timeout: 60_000,
  workers: 1,
  outputDir: 'test-results',
});
