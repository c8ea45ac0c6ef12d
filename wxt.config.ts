import { defineConfig } from 'wxt';
import { describeSize, measureExtension } from './extension/build/size-budget.ts';

// The extension lives in extension/ (WXT srcDir); see extension/README.md.
export default defineConfig({
  srcDir: 'extension',
  publicDir: 'extension/public',
  // terser's extra passes make the bundles about 2 % smaller than esbuild's minifier; the size
  // budget (extension/build/size-budget.ts) is what the extension downloads, so every KB counts.
  vite: () => ({
    // Extension pages load their chunks from the package itself: no modulepreload polyfill needed.
    build: {
      modulePreload: false,
      minify: 'terser',
      terserOptions: { module: true, compress: { passes: 3, pure_getters: true }, format: { comments: false } },
    },
  }),
  // Reports the size against the budget after every build; tests/e2e/extension/size-budget.spec.ts holds it.
  hooks: {
    'build:done': (wxt) => {
      const size = measureExtension(wxt.config.outDir);
      (size.withinBudget ? wxt.logger.info : wxt.logger.warn)(describeSize(size));
    },
  },
  manifest: ({ browser, manifestVersion }) => ({
    name: 'Countersign Authenticator',
    description: 'Approve sign-ins with number matching, from your browser.',
    // storage: IndexedDB needs none, but storage.session (the approval window's id) does.
    // activeTab + scripting: "Use the pairing link on this page" reads the link from the tab the
    // popup was opened on (that tab only, at that moment; extension/entrypoints/popup/page-link.ts).
    permissions: ['storage', 'notifications', 'alarms', 'activeTab', 'scripting'],
    // No host permissions: relays are reached by WebSocket (no CORS) and the pairing POST is
    // answered with CORS by the relay, so the extension can read no site's data.
    action: { default_title: 'Countersign' },
    // Firefox: a Manifest V2 build (`wxt build -b firefox`) whose background is a persistent page,
    // so its relay sockets stay open (an MV3 background there is suspended even with a socket).
    // The gecko id fixes the add-on's identity (tests/firefox pin its moz-extension UUID by it), and
    // the policy keeps relays on loopback reachable over plain ws://, which Firefox's default MV3
    // policy would upgrade to wss://.
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: { gecko: { id: 'authenticator@countersign.dev', strict_min_version: '121.0' } },
          content_security_policy:
            manifestVersion === 2 ? "script-src 'self'; object-src 'self'" : { extension_pages: "script-src 'self'; object-src 'self'" },
        }
      : {}),
  }),
});
