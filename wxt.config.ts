import { defineConfig } from 'wxt';

// The extension lives in extension/ (WXT srcDir); see extension/README.md.
export default defineConfig({
  srcDir: 'extension',
  publicDir: 'extension/public',
  modules: ['@wxt-dev/webextension-polyfill'],
  manifest: ({ browser }) => ({
    name: 'Countersign Authenticator',
    description: 'Approve sign-ins with number matching, from your browser.',
    // storage: IndexedDB needs none, but storage.session (the approval window's id) does.
    // activeTab: "Scan QR code on this page" captures the tab the popup was opened on.
    permissions: ['storage', 'notifications', 'alarms', 'activeTab'],
    // No host permissions: relays are reached by WebSocket (no CORS) and the pairing POST is
    // answered with CORS by the relay, so the extension can read no site's data.
    action: { default_title: 'Countersign' },
    ...(browser === 'firefox'
      ? { browser_specific_settings: { gecko: { id: 'authenticator@countersign.dev', strict_min_version: '121.0' } } }
      : {}),
  }),
});
