import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { RelayToDeviceMessage } from '../../../protocol/messages.ts';
import { ManualClock } from '../../../relay-server/clock.ts';
import { InProcessFanout } from '../../../relay-server/hub/fanout.ts';
import { loadConfig } from '../../../relay-server/config.ts';
import { createRelay, type Relay } from '../../../relay-server/relay.ts';
import { CookieBrowser } from '../../../testing/cookie-browser.ts';

export const ORIGIN = 'http://relay.test';

/** An in-process fan-out that also remembers what it sent to devices. */
class RecordingFanout extends InProcessFanout {
  readonly sent: { deviceId: string; message: RelayToDeviceMessage }[] = [];
  override sendToDevice(deviceId: string, message: RelayToDeviceMessage): void {
    this.sent.push({ deviceId, message });
    super.sendToDevice(deviceId, message);
  }
}

/** A demo relay built in memory (no port): pages are exercised through `app.request()`. */
export async function pageRelay(
  env: Record<string, string> = {},
): Promise<{ relay: Relay; clock: ManualClock; origin: string; sentToDevices: RecordingFanout['sent']; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'countersign-pages-'));
  const origin = env.RELAY_ORIGIN ?? ORIGIN;
  // http://relay.test is not loopback: fine here, where no byte leaves the process.
  const { config } = loadConfig({
    DATA_DIR: dataDir,
    COUNTERSIGN_DEMO: '1',
    RELAY_ORIGIN: origin,
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ALLOW_INSECURE_ORIGIN: '1',
    ...env,
  });
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
  const fanout = new RecordingFanout();
  const relay = await createRelay({ config, clock, fanout, logger: pino({ level: 'silent' }) });
  return {
    relay,
    clock,
    origin,
    sentToDevices: fanout.sent,
    async close() {
      await relay.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A browser for these pages, in-process through the app's `request()`: signs in with the password
 * as a link from the demo app would.
 */
export function pageBrowser(relay: Relay, origin: string): CookieBrowser {
  return new CookieBrowser(origin, { app: relay.app, signInApp: 'demo' });
}

/** The text inside the first element carrying this test id (tags stripped, entities left alone). */
export function testIdText(html: string, testId: string): string | undefined {
  const match = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]?.replace(/<[^>]*>/g, '').trim();
}
