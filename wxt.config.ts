import { defineConfig } from 'wxt';

// The extension lives in extension/ (WXT srcDir); see extension/README.md.
export default defineConfig({
  srcDir: 'extension',
  modules: ['@wxt-dev/webextension-polyfill'],
  manifest: {
    name: 'Countersign Authenticator',
    description: 'Approve sign-ins with number matching, from your browser.',
    permissions: ['storage', 'notifications', 'alarms'],
  },
});
