// `npm start`: build the extension, then run the relay in demo mode and the sample app beside it.
// Everything it starts ends with it: on SIGINT and SIGTERM, when its parent dies (npm or the
// terminal), and when the relay exits. `npm start -- --no-build` uses the extension already built.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
// Loaded into each server: it stops itself should this script die without a word (SIGKILL).
const exitWithParent = path.join(import.meta.dirname, 'exit-with-parent.mjs');

/** Children still running; each is sent the stopping signal once. @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
let stopping = false;

/**
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options
 */
function run(command, args, options) {
  const child = spawn(command, args, { cwd: root, ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/**
 * Ends every child (SIGKILL for any still there after 10 s), then this script.
 * @param {NodeJS.Signals} signal
 * @param {number} exitCode
 */
function stopAll(signal, exitCode) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill(signal);
  const force = setTimeout(() => children.forEach((child) => child.kill('SIGKILL')), 10_000);
  force.unref();
  const exitWhenAlone = () => {
    if (children.size === 0) process.exit(exitCode);
    else setTimeout(exitWhenAlone, 50);
  };
  exitWhenAlone();
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal, 0));

// A parent that dies (npm killed with -9, a closed terminal) leaves this script to init: then stop.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) stopAll('SIGTERM', 0);
}, 500).unref();

if (!process.argv.includes('--no-build')) {
  console.log('Building the extension...');
  const build = run(npx, ['wxt', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  /** @type {number | null} */
  const status = await new Promise((resolve) => build.on('exit', (code) => resolve(code)));
  if (stopping) await new Promise(() => {}); // stopAll exits once the build has stopped
  if (status !== 0) {
    console.error('The extension build failed; run `npx wxt build` to see why.');
    process.exit(status ?? 1);
  }
}
const extensionDir = path.join(root, '.output', 'chrome-mv3');
console.log(`Extension: load it unpacked from ${extensionDir}`);
console.log('  (chrome://extensions → Developer mode → Load unpacked; Firefox: npm run build:firefox)');

// Node itself (with tsx's loader), not npx: the signal then reaches the server, not a wrapper.
const relay = run(process.execPath, ['--import', 'tsx', '--import', exitWithParent, 'relay-server/main.ts'], {
  stdio: 'inherit',
  env: { COUNTERSIGN_DEMO: '1', ...process.env },
});
relay.on('exit', (code) => stopAll('SIGTERM', stopping ? 0 : (code ?? 1)));

// The sample app (examples/sample-app) signs in through the relay with OpenID Connect: it starts
// once the relay answers, on the demo's registered redirect URI (http://localhost:3000/callback).
const relayUrl = process.env.RELAY_ORIGIN ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
for (let attempt = 0; attempt < 120 && !stopping; attempt++) {
  const ready = await fetch(`${relayUrl}/readyz`).then(
    (response) => response.ok,
    () => false,
  );
  if (stopping) break;
  if (ready) {
    run(process.execPath, ['--import', 'tsx', '--import', exitWithParent, 'examples/sample-app/server.ts'], {
      stdio: 'inherit',
      env: { ...process.env, ISSUER: relayUrl, PORT: process.env.SAMPLE_APP_PORT ?? '3000' },
    });
    // The Team Dashboard behind nginx, protected by forward auth (README, "Protect any app"),
    // when nginx is installed; otherwise it says how to install it.
    run(process.execPath, ['--import', 'tsx', '--import', exitWithParent, 'scripts/team-dashboard-demo.ts'], {
      stdio: 'inherit',
      env: { ...process.env, RELAY_URL: relayUrl },
    });
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
