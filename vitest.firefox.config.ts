import { defineConfig } from 'vitest/config';

// The Firefox journeys (tests/firefox): Debian's Firefox ESR driven over WebDriver BiDi with the
// built Firefox extension (`npm run build:firefox`). One file at a time: each runs a browser.
export default defineConfig({
  test: {
    include: ['tests/firefox/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
