import { onTestFinished } from 'vitest';
import { ManualClock } from '../../../relay-server/clock.ts';
import type { RelayTiming } from '../../../relay-server/config.ts';
import type { Policy } from '../../../protocol/index.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';
import { VirtualDevice } from '../../../testing/virtual-device.ts';
import { seedDemoApps } from '../../../relay-server/demo/demo-apps.ts';

/**
 * Shared fixtures for the relay's integration tests: a real relay on port 0 with a ManualClock
 * and small timings, plus clients and paired virtual devices. Everything registers its own
 * cleanup with `onTestFinished`, so a test only builds what it needs.
 */

/** Timings every test relay uses: nothing fires on its own during a test unless a test asks. */
export const TEST_TIMING: RelayTiming = { authTimeoutMs: 5_000, pingIntervalMs: 600_000, expirySweepMs: 600_000 };

/** How long a test waits for an event before failing; far below vitest's own limit. */
export const WAIT_MS = 5_000;

export interface TestRelay {
  running: RunningRelay;
  origin: string;
  clock: ManualClock;
  admin: AdminClient;
  signin: SigninClient;
  /** Creates a user (no password unless given) and returns its upn and id. */
  createUser(input?: { upn?: string; displayName?: string; password?: string; groups?: string[] }): Promise<TestUser>;
  /** Pairs a new virtual device to the user and connects it (unless `connect: false`). */
  pairDevice(upn: string, options?: { connect?: boolean; deviceName?: string }): Promise<PairedDevice>;
  /** Reads the policy, applies the changes and saves it. */
  setPolicy(changes: Partial<Policy>): Promise<Policy>;
  /** Moves the relay's clock and runs the expiry sweep the real timer would run. */
  advance(ms: number): Promise<void>;
  /** Raw HTTP against the relay: status, parsed JSON (or null) and headers. */
  http(method: string, path: string, init?: HttpInit): Promise<HttpAnswer>;
}

export interface TestUser {
  upn: string;
  userId: string;
  displayName: string;
  password?: string;
}

export interface PairedDevice {
  device: VirtualDevice;
  deviceId: string;
}

export interface HttpInit {
  body?: unknown;
  /** Sent as is instead of JSON. */
  rawBody?: string;
  bearer?: string;
  admin?: boolean;
  headers?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

let userCounter = 0;

/**
 * A clock that follows real time, for tests of parts that read the time themselves (the OpenID
 * Provider stamps interactions and tokens with Date.now()); `advance` still moves it on.
 */
export class RealTimeClock extends ManualClock {
  private offset = 0;
  override now(): number {
    return Date.now() + this.offset;
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
  override set(ms: number): void {
    this.offset = ms - Date.now();
  }
}

export async function startTestRelay(
  options: { timing?: Partial<RelayTiming>; policy?: Partial<Policy>; env?: Record<string, string>; clock?: ManualClock } = {},
): Promise<TestRelay> {
  const clock = options.clock ?? new ManualClock();
  const running = await startRelay({
    demo: false,
    clock,
    timing: { ...TEST_TIMING, ...options.timing },
    ...(options.env ? { env: options.env } : {}),
  });
  const devices: VirtualDevice[] = [];
  onTestFinished(async () => {
    await Promise.allSettled(devices.map((device) => device.close()));
    await running.stop();
  });
  // The apps the tests name (`app: 'demo'`…), as a demo relay registers them.
  await seedDemoApps(running.relay.store, clock.now());
  const origin = running.origin;
  const admin = new AdminClient(origin, running.adminToken);
  const signin = new SigninClient(origin);

  const http = async (method: string, path: string, init: HttpInit = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    const bearer = init.admin ? running.adminToken : init.bearer;
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (init.rawBody !== undefined) body = init.rawBody;
    else if (init.body !== undefined) body = JSON.stringify(init.body);
    if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };

  const relay: TestRelay = {
    running,
    origin,
    clock,
    admin,
    signin,
    async createUser(input = {}) {
      userCounter += 1;
      const upn = input.upn ?? `user${userCounter}@example.test`;
      const displayName = input.displayName ?? `User ${userCounter}`;
      const created = await admin.createUser({
        upn,
        displayName,
        ...(input.password !== undefined ? { password: input.password } : {}),
        ...(input.groups !== undefined ? { groups: input.groups } : {}),
      });
      return {
        upn: created.upn,
        userId: created.userId,
        displayName,
        ...(input.password !== undefined ? { password: input.password } : {}),
      };
    },
    async pairDevice(upn, pairOptions = {}) {
      const device = await VirtualDevice.open({ now: () => clock.now(), timeoutMs: WAIT_MS });
      devices.push(device);
      const offer = await admin.createPairing(upn);
      const account = await device.pair(offer.link, pairOptions.deviceName ? { deviceName: pairOptions.deviceName } : {});
      if (pairOptions.connect !== false) await device.connect(origin);
      return { device, deviceId: account.deviceId };
    },
    async setPolicy(changes) {
      return admin.putPolicy({ ...(await admin.getPolicy()), ...changes });
    },
    async advance(ms) {
      clock.advance(ms);
      await running.relay.signins.expireDue();
    },
    http,
  };
  if (options.policy) await relay.setPolicy(options.policy);
  return relay;
}

export interface RelayWithDevice extends TestRelay {
  user: TestUser;
  device: VirtualDevice;
  deviceId: string;
}

/**
 * A relay (ManualClock, small timings) with one user whose one virtual device is paired and
 * connected. The push budget is raised so tests that make many requests are not throttled,
 * unless the test sets its own policy.
 */
export async function relayWithDevice(
  options: {
    timing?: Partial<RelayTiming>;
    policy?: Partial<Policy>;
    password?: string;
    groups?: string[];
    env?: Record<string, string>;
  } = {},
): Promise<RelayWithDevice> {
  const relay = await startTestRelay({
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.env ? { env: options.env } : {}),
    policy: { maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: 10_000, ...options.policy },
  });
  const user = await relay.createUser({
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.groups !== undefined ? { groups: options.groups } : {}),
  });
  const { device, deviceId } = await relay.pairDevice(user.upn);
  return Object.assign(relay, { user, device, deviceId });
}
