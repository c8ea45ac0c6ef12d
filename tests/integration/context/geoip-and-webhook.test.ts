import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signWebhookBody } from '../../../relay-server/ops/webhook.ts';
import { AdminClient } from '../../../testing/admin-client.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import { seedDemoApps } from '../../../relay-server/demo/demo-apps.ts';
import type { VirtualDevice } from '../../../testing/virtual-device.ts';
import { writeGeoipFixture } from '../../fixtures/write-geoip-fixture.ts';
import { userWithConnectedDevice } from '../helpers/paired-device.ts';

const WEBHOOK_SECRET = 'webhook-secret-for-tests';

describe('challenge context from GeoIP and the "It wasn\'t me" webhook', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'countersign-geoip-'));
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let notifyWebhook: () => void = () => {};
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
      notifyWebhook();
    });
  });
  let relay: RunningRelay;
  let device: VirtualDevice;

  beforeAll(async () => {
    const geoip = path.join(folder, 'test-city.mmdb');
    writeGeoipFixture(geoip, { address: '203.0.113.0', prefix: 24 }, { city: 'Testville', country: 'Exampleland' });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    relay = await startRelay({
      demo: false,
      env: { GEOIP_DATABASE: geoip, TRUST_PROXY: '1', WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, WEBHOOK_SECRET },
    });
    // The sign-ins name the demo's Payroll app (client id `payroll`).
    await seedDemoApps(relay.relay.store, Date.now());
    const admin = new AdminClient(relay.origin, relay.adminToken);
    device = await userWithConnectedDevice(admin, { upn: 'geo@example.test', displayName: 'Geo Test' });
  });

  afterAll(async () => {
    await device?.close();
    await relay?.stop();
    receiver.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function signinFrom(ip: string) {
    const response = await fetch(`${relay.origin}/api/v1/signins`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': ip,
        'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/150.0 Safari/537.36',
      },
      body: JSON.stringify({ upn: 'geo@example.test', app: 'payroll' }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { requestId: string; number: string; browserToken: string };
    // At most 3 requests per user stay pending across clients (docs/protocol.md section 5): each test
    // comes from another address, so each withdraws its request once it has looked at it.
    onTestFinished(async () => {
      await fetch(`${relay.origin}/api/v1/signins/${created.requestId}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.browserToken}` },
      });
    });
    return created;
  }

  it('names the city and country of a public address found in the GeoIP database', async () => {
    const signin = await signinFrom('203.0.113.7');
    const challenge = await device.waitForChallenge((c) => c.requestId === signin.requestId);
    expect(challenge.context).toEqual({ ip: '203.0.113.7', location: 'Testville, Exampleland', browser: 'Chrome', os: 'Windows' });
    expect(challenge.app).toEqual({ name: 'Payroll' });
  });

  it('gives no location for a public address the database does not know', async () => {
    const signin = await signinFrom('198.51.100.9');
    const challenge = await device.waitForChallenge((c) => c.requestId === signin.requestId);
    expect(challenge.context.location).toBeNull();
  });

  it('says "Local network" for a private address', async () => {
    const signin = await signinFrom('192.168.1.20');
    const challenge = await device.waitForChallenge((c) => c.requestId === signin.requestId);
    expect(challenge.context.location).toBe('Local network');
  });

  it('posts a report to the webhook signed with HMAC-SHA-256', async () => {
    const signin = await signinFrom('203.0.113.50');
    await device.waitForChallenge((c) => c.requestId === signin.requestId);
    const delivered = new Promise<void>((resolve) => (notifyWebhook = resolve));
    expect((await device.report(signin.requestId)).outcome).toBe('reported');
    await delivered;
    const call = received.at(-1)!;
    const timestamp = String(call.headers['x-countersign-timestamp']);
    expect(call.headers['x-countersign-signature']).toBe(signWebhookBody(WEBHOOK_SECRET, timestamp, call.body));
    expect(JSON.parse(call.body)).toMatchObject({
      type: 'signin.reported',
      upn: 'geo@example.test',
      requestId: signin.requestId,
      ip: '203.0.113.50',
      app: 'Payroll',
    });
  });
});
