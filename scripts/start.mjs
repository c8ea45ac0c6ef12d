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

const relay = spawn(npx, ['tsx', 'relay-server/main.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { COUNTERSIGN_DEMO: '1', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => relay.kill(signal));
relay.on('exit', (code) => process.exit(code ?? 0));
