import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../relay-server/config.ts';
import { createRelay, type Relay } from '../../../relay-server/relay.ts';
import { toBase64Url } from '../../../protocol/index.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { decisionFrame, pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';

describe('relay logs', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-logs-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  let relay: Relay;

  beforeAll(async () => {
    const { config } = loadConfig({ PORT: '0', DATA_DIR: dataDir, ADMIN_TOKEN: 'log-test-admin-token-0123456789' });
    relay = await createRelay({ config, logger: pino({ level: 'trace' }, sink) });
    await relay.listen();
  });
  afterAll(async () => {
    await relay.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('are JSON and never hold passwords, tokens, numbers, keys or signatures', async () => {
    const adminToken = 'log-test-admin-token-0123456789';
    const admin = new AdminClient(relay.origin, adminToken);
    const password = 'a-password-nobody-should-see';
    await admin.createUser({ upn: 'logs@example.test', displayName: 'Log Test', password });
    // A device speaking raw frames, so the test sees its private keys.
    const keys = await pairKeys({ admin, origin: relay.origin }, 'logs@example.test');
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const offer = await admin.createPairing('logs@example.test');
    const signins = new SigninClient(relay.origin);
    const tap = await admin.issueTap('logs@example.test', { lifetimeMinutes: 60, oneTime: true });
    await signins.createSignin({ upn: 'logs@example.test', password: 'wrong-password-also-secret' }).catch(() => undefined);
    await admin.putPolicy({ ...(await admin.getPolicy()), match: { mode: 'type', digits: 6 } });
    const signin = await signins.createSignin({ upn: 'logs@example.test', password });
    await raw.next('challenge', 0, (c) => c.requestId === signin.requestId);
    const events = signins.waitForOutcome(signin);
    raw.send(
      decisionFrame({ origin: relay.origin, clock: { now: () => Date.now() } }, keys, {
        requestId: signin.requestId,
        decision: 'approve',
        number: signin.number,
      }),
    );
    expect(await raw.next('result')).toMatchObject({ outcome: 'approved' });
    await events;
    await signins.complete(signin);
    raw.socket.close();

    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const log = lines.join('');
    const secrets = [
      adminToken,
      password,
      'wrong-password-also-secret',
      offer.token,
      tap.code,
      signin.browserToken,
      toBase64Url(keys.approvalKey),
      toBase64Url(keys.connectKey),
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
    // The number is short, so look for it as a value rather than a substring of ids and times.
    const values = lines.flatMap((line) => leafValues(JSON.parse(line)));
    expect(values).not.toContain(signin.number);
  });
});

function leafValues(value: unknown): unknown[] {
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leafValues);
  return [value];
}
