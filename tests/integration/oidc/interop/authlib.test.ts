import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { RealTimeClock, startTestRelay } from '../../helpers/test-relay.ts';
import { personWithDevice, REDIRECT, registerApp } from '../browser-and-app.ts';
import { browse } from './cross-site-browser.ts';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('../../../fixtures/interop/authlib_client.py', import.meta.url));
/** Debian's Python, where `apt-get install python3-authlib` puts authlib (.ci/run installs it). */
const PYTHON = '/usr/bin/python3';

async function authlib(...args: string[]): Promise<Record<string, any>> {
  const { stdout } = await run(PYTHON, [CLIENT, ...args], { timeout: 20_000 });
  return JSON.parse(stdout) as Record<string, any>;
}

describe('interop: Python authlib (requests client)', () => {
  beforeAll(async () => {
    const found = await run(PYTHON, ['-c', 'import authlib, requests']).then(
      () => true,
      () => false,
    );
    if (!found) throw new Error(`authlib is missing: apt-get install python3-authlib python3-requests (for ${PYTHON})`);
  });

  it('signs in with PKCE and a nonce, validates the ID token with authlib.jose, reads userinfo and refreshes', async () => {
    const relay = await startTestRelay({ clock: new RealTimeClock() });
    const person = await personWithDevice(relay);
    await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(person.user.upn)}`, {
      admin: true,
      body: { email: 'alice@example.com', groups: ['staff'] },
    });
    const app = await registerApp(relay, { name: 'Python App' });
    const settings = [relay.origin, app.clientId, app.clientSecret!, REDIRECT];
    const started = await authlib('authorize', ...settings);
    const callback = await browse(relay, person, started.url as string, { stopAt: new URL(REDIRECT).origin });
    expect(callback.url.origin).toBe(new URL(REDIRECT).origin);
    const done = await authlib('finish', ...settings, callback.url.href, started.state, started.code_verifier, started.nonce);
    expect(done.claims).toMatchObject({ sub: person.user.userId, email: 'alice@example.com', groups: ['staff'] });
    expect(done.userinfo).toMatchObject({ sub: person.user.userId, preferred_username: person.user.upn });
    expect(done.rotated).toBe(true);
  });
});
