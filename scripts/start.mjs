// `npm start`: build the extension, then run the relay in demo mode.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

console.log('Building the extension...');
const build = spawnSync(npx, ['wxt', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('The extension build failed; run `npx wxt build` to see why.');
  process.exit(build.status ?? 1);
}
const extensionDir = path.join(root, '.output', 'chrome-mv3');
console.log(`Extension built. Load it unpacked from: ${extensionDir}`);
console.log('  (chrome://extensions → Developer mode → Load unpacked; Firefox: npm run build:firefox)');

// Node itself (with tsx's loader), not npx: a signal to this script then reaches the servers.
const relay = spawn(process.execPath, ['--import', 'tsx', 'relay-server/main.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { COUNTERSIGN_DEMO: '1', ...process.env },
});
const children = [relay];
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => children.forEach((child) => child.kill(signal)));
relay.on('exit', (code) => {
  children.forEach((child) => child.kill('SIGTERM'));
  process.exit(code ?? 0);
});

// The sample app (examples/sample-app) signs in through the relay with OpenID Connect: it starts
// once the relay answers, on the demo's registered redirect URI (http://localhost:3000/callback).
const relayUrl = process.env.RELAY_ORIGIN ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
for (let attempt = 0; attempt < 120; attempt++) {
  const ready = await fetch(`${relayUrl}/readyz`).then(
    (response) => response.ok,
    () => false,
  );
  if (ready) {
    children.push(
      spawn(process.execPath, ['--import', 'tsx', 'examples/sample-app/server.ts'], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, ISSUER: relayUrl, PORT: process.env.SAMPLE_APP_PORT ?? '3000' },
      }),
    );
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
