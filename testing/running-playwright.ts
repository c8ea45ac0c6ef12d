import { createRequire } from 'node:module';
import type * as PlaywrightTest from '@playwright/test';

/**
 * The `@playwright/test` that is running the tests. A project that installs the QA kit by path
 * (`"countersign": "file:…"`) has its own copy beside the kit's, and Playwright refuses a second
 * copy ("two different versions of @playwright/test"). `@playwright/test` is the kit's peer
 * dependency: it uses the copy the runner already loaded (`@playwright/test` is `playwright/test`
 * re-exported), and its own only when none is.
 */
export function runningPlaywright(): typeof PlaywrightTest {
  const require = createRequire(import.meta.url);
  const loaded = Object.keys(require.cache).find((file) => /[\\/]node_modules[\\/]playwright[\\/]test\.js$/.test(file));
  return require(loaded ?? '@playwright/test') as typeof PlaywrightTest;
}
