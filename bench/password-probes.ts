import { performance } from 'node:perf_hooks';
import { BrowserClient, cookieFrom } from './browser-client.ts';

/**
 * The legitimate password sign-ins of `npm run bench -- --scenario password-spam`: while the spray
 * runs, familiar browsers (each holds the relay's familiar-browser cookie for its user) and new
 * browsers (a new address each time, no cookie) send the right password with
 * `POST /api/v1/signins {upn, password}`, one attempt each every PROBE_INTERVAL_MS, and count the
 * answers. The targets have no authenticator, so a password that was checked and found right is
 * answered `422 no_push_method` (mode `any`): that counts as accepted, as `201` would. `429` is a
 * refusal. docs/protocol.md section 5: a familiar browser's check is never refused.
 */

const PROBE_INTERVAL_MS = 500;

export interface ProbeCounts {
  attempts: number;
  accepted: number;
  refused: number;
  /** Anything else, by `status code`. */
  other: Record<string, number>;
}

export interface PasswordProbeResult {
  familiar: ProbeCounts;
  newBrowsers: ProbeCounts;
}

export interface ProbeUser {
  upn: string;
  password: string;
}

/**
 * Makes one familiar browser per user: a Temporary Access Pass signs it in over the API (section 5),
 * and completing the sign-in sets the cookie. Returns each browser's cookie and address.
 */
export async function familiarBrowsers(
  client: BrowserClient,
  origin: string,
  adminToken: string,
  users: ProbeUser[],
): Promise<{ user: ProbeUser; address: string; cookie: string }[]> {
  const browsers = [];
  for (const [index, user] of users.entries()) {
    const address = `192.0.2.${index + 1}`;
    const tap = await client.request(
      origin,
      'POST',
      `/api/v1/admin/users/${encodeURIComponent(user.upn)}/tap`,
      { lifetimeMinutes: 10, oneTime: true },
      adminToken,
    );
    if (tap.status !== 201) throw new Error(`TAP for ${user.upn}: ${tap.status} ${JSON.stringify(tap.body)}`);
    const headers = { 'x-forwarded-for': address };
    const created = await client.request(
      origin,
      'POST',
      '/api/v1/signins',
      { upn: user.upn, password: (tap.body as { code: string }).code },
      undefined,
      15_000,
      headers,
    );
    if (created.status !== 201) throw new Error(`TAP sign-in for ${user.upn}: ${created.status} ${JSON.stringify(created.body)}`);
    const { requestId, browserToken } = created.body as { requestId: string; browserToken: string };
    const completed = await client.request(
      origin,
      'POST',
      `/api/v1/signins/${requestId}/complete`,
      undefined,
      browserToken,
      15_000,
      headers,
    );
    const cookie = cookieFrom(completed, 'countersign_familiar');
    if (!cookie) throw new Error(`TAP sign-in for ${user.upn}: complete answered ${completed.status} without a familiar cookie`);
    browsers.push({ user, address, cookie });
  }
  return browsers;
}

/** Runs the probes until `stop()` resolves or `maxMs` passes; then the counts. */
export async function probePasswords(input: {
  origin: string;
  familiar: { user: ProbeUser; address: string; cookie: string }[];
  newBrowsers: ProbeUser[];
  until: Promise<void>;
  maxMs: number;
}): Promise<PasswordProbeResult> {
  const client = new BrowserClient(input.familiar.length + input.newBrowsers.length + 2);
  let stopped = false;
  void input.until.then(() => (stopped = true));
  const deadline = performance.now() + input.maxMs;
  const empty = (): ProbeCounts => ({ attempts: 0, accepted: 0, refused: 0, other: {} });
  const result: PasswordProbeResult = { familiar: empty(), newBrowsers: empty() };
  let fresh = 0;
  const probe = async (counts: ProbeCounts, user: ProbeUser, headers: () => Record<string, string>) => {
    while (!stopped && performance.now() < deadline) {
      const began = performance.now();
      counts.attempts += 1;
      try {
        const answer = await client.request(
          input.origin,
          'POST',
          '/api/v1/signins',
          { upn: user.upn, password: user.password },
          undefined,
          15_000,
          headers(),
        );
        const code = (answer.body as { error?: { code?: string } } | null)?.error?.code ?? '';
        if (answer.status === 201 || (answer.status === 422 && code === 'no_push_method')) counts.accepted += 1;
        else if (answer.status === 429) counts.refused += 1;
        else counts.other[`${answer.status} ${code}`.trim()] = (counts.other[`${answer.status} ${code}`.trim()] ?? 0) + 1;
      } catch (error) {
        const key = error instanceof Error ? error.message.slice(0, 40) : 'error';
        counts.other[key] = (counts.other[key] ?? 0) + 1;
      }
      const wait = PROBE_INTERVAL_MS - (performance.now() - began);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  await Promise.all([
    ...input.familiar.map((browser) =>
      probe(result.familiar, browser.user, () => ({ 'x-forwarded-for': browser.address, cookie: browser.cookie })),
    ),
    ...input.newBrowsers.map((user) =>
      probe(result.newBrowsers, user, () => {
        fresh += 1;
        return { 'x-forwarded-for': `198.18.${(fresh >> 8) & 255}.${fresh & 255}` };
      }),
    ),
  ]);
  client.close();
  return result;
}
