import { ClientAt } from '../../security/helpers/client-at.ts';

/**
 * Strangers on a botnet, as the relay sees them behind TRUST_PROXY=1: each address is an
 * X-Forwarded-For value on loopback requests to the test's own relay. Every loop is bounded (a
 * stop flag and a deadline), and `stop()` closes every stream held.
 */

/** Stranger number `n`'s address (TEST-NET-2, one per client). */
export const strangerAt = (n: number) => `198.51.100.${(n % 250) + 1}`;

export interface StreamFlood {
  /** Streams the relay accepted and that are held open now. */
  held: number;
  /** Streams the relay refused (429). */
  refused: number;
  close(): void;
}

/**
 * From `addresses` addresses, each opens a sign-in by code for `upn` (it pushes nothing) and holds
 * `perAddress` event streams of it, as the issue-18 flood did.
 */
export async function floodStreams(origin: string, upn: string, addresses: number, perAddress: number): Promise<StreamFlood> {
  const closers: Array<() => void> = [];
  let refused = 0;
  await Promise.all(
    Array.from({ length: addresses }, async (_, a) => {
      const client = new ClientAt(origin, strangerAt(100 + a));
      const created = await client.startSignin({ upn, by: 'code' });
      if (created.status !== 201) return;
      for (let s = 0; s < perAddress; s++) {
        const stream = await client.openStream(created.body);
        if (stream.status === 200) closers.push(stream.close);
        else refused += 1;
      }
    }),
  );
  return {
    held: closers.length,
    refused,
    close: () => closers.forEach((close) => close()),
  };
}

export interface PasswordSpray {
  /** Answers so far by HTTP status. */
  answers(): Record<number, number>;
  attempts(): number;
  /** Stops every loop and waits for them. */
  stop(): Promise<void>;
}

/**
 * `concurrency` loops spraying wrong passwords at `upns` (and at names that do not exist) from
 * `addresses` addresses in turn, ignoring Retry-After as an attacker would, until stop() or `deadlineMs`.
 */
export function sprayPasswords(
  origin: string,
  upns: string[],
  options: { addresses: number; concurrency: number; deadlineMs: number },
): PasswordSpray {
  const answers: Record<number, number> = {};
  let attempts = 0;
  let stopping = false;
  const deadline = Date.now() + options.deadlineMs;
  const loop = async () => {
    while (!stopping && Date.now() < deadline) {
      const i = attempts++;
      const client = new ClientAt(origin, strangerAt(i % options.addresses));
      const upn = i % 3 === 2 ? `ghost-${i}@demo.test` : upns[i % upns.length]!;
      try {
        const answer = await client.startSignin({ upn, password: `wrong-password-${i}` });
        answers[answer.status] = (answers[answer.status] ?? 0) + 1;
      } catch {
        answers[0] = (answers[0] ?? 0) + 1;
      }
    }
  };
  const loops = Promise.all(Array.from({ length: options.concurrency }, loop));
  return {
    answers: () => ({ ...answers }),
    attempts: () => attempts,
    async stop() {
      stopping = true;
      await loops;
    },
  };
}

/** Three strangers each holding one of `upn`'s pending slots for unfamiliar clients (section 5). */
export async function fillUnfamiliarSlots(
  origin: string,
  upn: string,
): Promise<Array<{ client: ClientAt; requestId: string; browserToken: string }>> {
  const held = [];
  for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
    const client = new ClientAt(origin, ip);
    const created = await client.startSignin({ upn });
    if (created.status !== 201) throw new Error(`a stranger at ${ip} got ${created.status}, not a slot`);
    held.push({ client, requestId: created.body.requestId as string, browserToken: created.body.browserToken as string });
  }
  return held;
}
