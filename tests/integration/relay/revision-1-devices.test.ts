import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { generateDeviceKeyPair, randomId } from '../../../protocol/index.ts';
import { ManualClock } from '../../../relay-server/clock.ts';
import { hashPassword } from '../../../relay-server/security/passwords.ts';
import { hashSecret } from '../../../relay-server/security/secrets.ts';
import { migrationProvider } from '../../../relay-server/store/migrations.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { startRelay } from '../../../testing/start-relay.ts';
import { pageBrowser } from '../pages/page-browser.ts';
import { seedDemoApps } from '../../../relay-server/demo/demo-apps.ts';
import { pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { TEST_TIMING } from '../helpers/test-relay.ts';

const UPN = 'old-device@example.test';
const PASSWORD = 'a-password-from-before';
const NOW = Date.UTC(2026, 0, 1);

/**
 * A data folder as a revision-1 relay left it (migrations up to 0003): a user with two devices
 * that have one key each, and an approved sign-in that was never completed.
 */
async function revision1DataDir() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-rev1-'));
  const db: Kysely<any> = openSqlite(dataDir);
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0003_recent_pushes_by_user');
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const userId = randomId();
  await db
    .insertInto('users')
    .values({
      id: userId,
      upn: UPN,
      upn_key: UPN,
      display_name: 'Old Device',
      password_hash: await hashPassword(PASSWORD),
      is_admin: 0,
      push_blocked: 0,
      failure_count: 0,
      locked_until: null,
      created_at: NOW,
    })
    .execute();
  const devices = ['Old laptop', 'Old desktop'].map((name, i) => ({
    id: randomId(),
    name,
    key: generateDeviceKeyPair(),
    created_at: NOW + i,
  }));
  for (const device of devices) {
    await db
      .insertInto('devices')
      .values({
        id: device.id,
        user_id: userId,
        name: device.name,
        public_key: device.key.publicKey,
        created_at: device.created_at,
        last_used_at: null,
      })
      .execute();
  }
  const browserToken = randomId();
  const approvedId = randomId();
  await db
    .insertInto('signin_requests')
    .values({
      id: approvedId,
      user_id: userId,
      upn: UPN,
      app_id: null,
      app_name: null,
      ip: '127.0.0.1',
      location: null,
      browser: 'b',
      os: 'o',
      method: 'passwordless',
      number: '42',
      match_mode: 'type',
      digits: 2,
      choices: null,
      browser_token_hash: hashSecret(browserToken),
      status: 'approved',
      reason: null,
      device_id: devices[0]!.id,
      created_at: NOW,
      expires_at: NOW + 120_000,
      decided_at: NOW,
      completed_at: null,
    })
    .execute();
  await db.destroy();
  return { dataDir, userId, devices, approved: { requestId: approvedId, browserToken } };
}

async function relayOver(dataDir: string) {
  const clock = new ManualClock(NOW + 1_000);
  const running = await startRelay({ dataDir, demo: false, clock, timing: TEST_TIMING, removeDataDir: true });
  // The pages sign in to the demo app, as the demo registers it.
  await seedDemoApps(running.relay.store, clock.now());
  onTestFinished(() => running.stop());
  return { running, clock, admin: new AdminClient(running.origin, running.adminToken) };
}

describe('devices paired under protocol revision 1, after migration 0004', () => {
  it('are kept and listed as inactive, and an approval made before the upgrade still completes', async () => {
    const old = await revision1DataDir();
    const { running, admin } = await relayOver(old.dataDir);
    const stored = await running.relay.store.devices.ofUser(old.userId);
    expect(stored.map((device) => [device.name, device.connect_public_key])).toEqual([
      ['Old laptop', null],
      ['Old desktop', null],
    ]);
    const details = await fetch(`${running.origin}/api/v1/admin/users/${encodeURIComponent(UPN)}`, {
      headers: { authorization: `Bearer ${running.adminToken}` },
    });
    expect(((await details.json()) as { devices: unknown[] }).devices).toEqual([
      expect.objectContaining({ deviceId: old.devices[0]!.id, name: 'Old laptop', active: false }),
      expect.objectContaining({ deviceId: old.devices[1]!.id, name: 'Old desktop', active: false }),
    ]);
    expect((await admin.getUser(UPN)).devices).toHaveLength(2);
    // Approved under revision 1, which recorded no unlock: the approval is all amr can say.
    const completed = await new SigninClient(running.origin).complete({
      requestId: old.approved.requestId,
      browserToken: old.approved.browserToken,
    });
    expect(completed.session.amr).toEqual(['swk', 'mfa']);
  });

  it('cannot connect: auth answers device_revoked and closes with 4401', async () => {
    const old = await revision1DataDir();
    const { running } = await relayOver(old.dataDir);
    const device = old.devices[0]!;
    const { raw, ready } = await RawDeviceSocket.authenticated(running.origin, [{ deviceId: device.id, connectKey: device.key.secretKey }]);
    expect(ready).toEqual({ type: 'ready', accepted: [], rejected: [{ deviceId: device.id, code: 'device_revoked' }] });
    expect((await raw.waitForClose()).code).toBe(4401);
  });

  it('are no push target: a user with only revision-1 devices gets 422 no_push_method', async () => {
    const old = await revision1DataDir();
    const { running } = await relayOver(old.dataDir);
    const answer = await fetch(`${running.origin}/api/v1/signins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ upn: UPN }),
    });
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('no_push_method');
  });

  it('get no challenge once the user has a revision-2 device, which does', async () => {
    const old = await revision1DataDir();
    const { running, admin } = await relayOver(old.dataDir);
    const keys = await pairKeys({ admin, origin: running.origin }, UPN);
    const { raw } = await RawDeviceSocket.authenticated(running.origin, [keys]);
    const sent: string[] = [];
    const send = running.relay.fanout.sendToDevice.bind(running.relay.fanout);
    running.relay.fanout.sendToDevice = (deviceId, message) => {
      sent.push(`${message.type} ${deviceId}`);
      send(deviceId, message);
    };
    const created = await new SigninClient(running.origin).createSignin({ upn: UPN });
    expect((await raw.next('challenge')).requestId).toBe(created.requestId);
    expect(sent).toEqual([`challenge ${keys.deviceId}`]);
  });

  it('are shown as needing to be added again on the security info page, and a password session may add the first new one', async () => {
    const old = await revision1DataDir();
    const { running } = await relayOver(old.dataDir);
    const browser = pageBrowser(running.relay, running.origin);
    expect((await browser.signInWithPassword(UPN, PASSWORD)).status).toBe(303);
    const page = await (await browser.get('/security-info')).text();
    expect([...page.matchAll(/data-testid="device-needs-readding"/g)]).toHaveLength(2);
    expect(page).toContain('Needs to be added again');
    expect(page).not.toContain('data-testid="approval-first"');
    const json = (await (await browser.get('/security-info/devices.json')).json()) as { devices: { id: string; active: boolean }[] };
    expect(json.devices.map((device) => device.active)).toEqual([false, false]);
    // No device can approve, so this is the first authenticator: no approval first.
    expect((await browser.post('/security-info/pairings', {})).status).toBe(303);
    await browser.get('/security-info');
    expect(browser.lastHtml).toContain('data-testid="pairing-link"');
  });

  it('can be removed on the security info page and through the admin API', async () => {
    const old = await revision1DataDir();
    const { running, admin } = await relayOver(old.dataDir);
    const browser = pageBrowser(running.relay, running.origin);
    expect((await browser.signInWithPassword(UPN, PASSWORD)).status).toBe(303);
    await browser.get('/security-info');
    const removed = await browser.post(`/security-info/devices/${old.devices[0]!.id}/remove`, {});
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe('/security-info?removed=1');
    await admin.revokeDevice(old.devices[1]!.id);
    expect(await running.relay.store.devices.ofUser(old.userId)).toEqual([]);
  });
});
