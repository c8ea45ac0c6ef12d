import { createServer } from 'node:net';
import { onTestFinished } from 'vitest';
import { ManualClock } from '../../../relay-server/clock.ts';
import { startRelay, type RunningRelay } from '../../../testing/start-relay.ts';
import { AdminClient } from '../../../testing/admin-client.ts';
import { TEST_TIMING } from '../helpers/test-relay.ts';

/**
 * A relay for forward-auth tests with COOKIE_DOMAIN=example.test and RELAY_ORIGIN
 * http://signin.example.test:{port}, reached at 127.0.0.1 (the name does not resolve here). People
 * sign in through sessions made in the store, which is what any sign-in ends in.
 */
export interface ForwardAuthRelay {
  running: RunningRelay;
  /** http://127.0.0.1:{port} */
  address: string;
  origin: string;
  clock: ManualClock;
  admin: AdminClient;
  adminToken: string;
  putRules(rules: unknown[]): Promise<Response>;
  /** A user and a relay session for them; the session cookie's value. */
  signedInUser(input: {
    upn: string;
    displayName?: string;
    email?: string;
    groups?: string[];
    amr?: string[];
  }): Promise<{ userId: string; session: string }>;
  /** Follows /signin?rd= with a relay session; the forward-auth cookie it sets (and the answer). */
  forwardAuthCookie(
    session: string,
    rd: string,
  ): Promise<{ response: Response; cookie: string | undefined; setCookie: string | undefined }>;
  /** The check as a proxy at 127.0.0.1 would ask it. */
  check(input: { host: string; uri?: string; cookie?: string; headers?: Record<string, string>; query?: string }): Promise<Response>;
}

export const FORWARD_AUTH_COOKIE = 'countersign_forward_auth';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Stopped when the test ends; with `beforeAll: true` the caller stops `running` itself (in afterAll). */
export async function startForwardAuthRelay(
  env: Record<string, string> = {},
  options: { beforeAll?: boolean } = {},
): Promise<ForwardAuthRelay> {
  const port = await freePort();
  const clock = new ManualClock();
  const running = await startRelay({
    demo: false,
    clock,
    timing: TEST_TIMING,
    env: {
      PORT: String(port),
      RELAY_ORIGIN: `http://signin.example.test:${port}`,
      ALLOW_INSECURE_ORIGIN: '1',
      COOKIE_DOMAIN: 'example.test',
      ...env,
    },
  });
  if (!options.beforeAll) onTestFinished(() => running.stop());
  const address = running.address;
  const admin = new AdminClient(address, running.adminToken);
  const store = running.relay.store;
  return {
    running,
    address,
    origin: running.origin,
    clock,
    admin,
    adminToken: running.adminToken,
    putRules: (rules) =>
      fetch(`${address}/api/v1/admin/forward-auth`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rules }),
      }),
    async signedInUser(input) {
      const created = await admin.createUser({
        upn: input.upn,
        displayName: input.displayName ?? input.upn,
        groups: input.groups ?? [],
        ...(input.email ? { email: input.email } : {}),
      });
      const { cookieValue } = await store.sessions.create(created.userId, input.amr ?? ['swk', 'pin', 'mfa'], clock.now());
      return { userId: created.userId, session: cookieValue };
    },
    async forwardAuthCookie(session, rd) {
      const response = await fetch(`${address}/signin?rd=${encodeURIComponent(rd)}`, {
        headers: { cookie: `countersign_session=${session}` },
        redirect: 'manual',
      });
      const setCookie = response.headers.getSetCookie().find((header) => header.startsWith(`${FORWARD_AUTH_COOKIE}=`));
      const cookie = setCookie ? setCookie.split(';')[0]!.slice(FORWARD_AUTH_COOKIE.length + 1) : undefined;
      return { response, cookie, setCookie };
    },
    check(input) {
      return fetch(`${address}/api/v1/forward-auth${input.query ?? ''}`, {
        redirect: 'manual',
        headers: {
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': input.host,
          'x-forwarded-uri': input.uri ?? '/',
          ...(input.cookie ? { cookie: `${FORWARD_AUTH_COOKIE}=${input.cookie}` } : {}),
          ...input.headers,
        },
      });
    },
  };
}
