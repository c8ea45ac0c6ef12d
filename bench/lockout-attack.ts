import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { BrowserClient } from './browser-client.ts';

/**
 * The strangers of `npm run bench -- --scenario lockout-attack`, in their own process (forked by
 * bench/run.ts): `concurrency` loops from `addresses` client addresses (X-Forwarded-For; the relay
 * runs with TRUST_PROXY=1), half IPv4 addresses and half IPv6 addresses in distinct /48s, as a
 * botnet would look. Against the very users whose familiar browsers are signing in they take turns
 * to fill pending slots (a passwordless request, renewed as fast as answers come), open and hold
 * the event streams of the requests they got (at most `streamsPerAddress` per address), and spray
 * wrong passwords at those users and at names that do not exist. They ignore Retry-After, as an
 * attacker would. Every loop ends at `stop` or at the deadline, whichever comes first; held
 * streams are closed then. Loopback only: `origin` is the bench's own relay.
 */

export type AttackCommand =
  | {
      cmd: 'attack';
      origin: string;
      upns: string[];
      addresses: number;
      concurrency: number;
      streamsPerAddress: number;
      deadlineMs: number;
    }
  | { cmd: 'stop' };

export type AttackReply =
  | { cmd: 'attacking' }
  | {
      cmd: 'attacked';
      attempts: number;
      seconds: number;
      /** By `what status code`: what the relay answered each kind of attempt. */
      answers: Record<string, number>;
      streams: { opened: number; refused: number; peakHeld: number };
    }
  | { cmd: 'error'; message: string };

/** Stranger number `a`'s address: even ones IPv4, odd ones IPv6, each in a /48 of its own. */
export function strangerAddress(a: number): string {
  return a % 2 === 0 ? `10.66.${a >> 8}.${(a & 255) + 1}` : `2001:db8:${(0x100 + a).toString(16)}::${(a % 250) + 1}`;
}

/** Whether a sign-in log row's address is one of the strangers' (bench/run.ts leaves their rows out of the check). */
export function isStrangerAddress(ip: string): boolean {
  return ip.startsWith('10.66.') || ip.startsWith('2001:db8:');
}

let stopping = false;

async function attack(command: Extract<AttackCommand, { cmd: 'attack' }>): Promise<void> {
  const client = new BrowserClient(command.concurrency + 4);
  const answers: Record<string, number> = {};
  const count = (key: string) => (answers[key] = (answers[key] ?? 0) + 1);
  const started = performance.now();
  const deadline = started + command.deadlineMs;
  const held = new Set<http.ClientRequest>();
  const heldPerAddress = new Map<string, number>();
  const streams = { opened: 0, refused: 0, peakHeld: 0 };
  let attempts = 0;

  /** Opens a request's event stream from `address` and holds it until the end; resolves once answered. */
  const holdStream = (address: string, requestId: string, browserToken: string) =>
    new Promise<void>((resolve) => {
      const request = http.request(`${command.origin}/api/v1/signins/${requestId}/events`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${browserToken}`, 'x-forwarded-for': address },
        agent: false,
      });
      request.on('response', (response) => {
        if (response.statusCode === 200) {
          streams.opened += 1;
          held.add(request);
          heldPerAddress.set(address, (heldPerAddress.get(address) ?? 0) + 1);
          streams.peakHeld = Math.max(streams.peakHeld, held.size);
          response.resume();
          response.on('close', () => {
            if (held.delete(request)) heldPerAddress.set(address, (heldPerAddress.get(address) ?? 1) - 1);
          });
        } else {
          streams.refused += 1;
          response.resume();
          request.destroy();
        }
        resolve();
      });
      request.on('error', () => resolve());
      request.setTimeout(15_000, () => request.destroy());
      request.end();
    });

  const post = async (address: string, body: object, kind: string) => {
    const answer = await client.request(command.origin, 'POST', '/api/v1/signins', body, undefined, 15_000, { 'x-forwarded-for': address });
    const code = (answer.body as { error?: { code?: string } } | null)?.error?.code ?? '';
    count(`${kind} ${answer.status} ${code}`.trim());
    return answer;
  };

  const loop = async () => {
    while (!stopping && performance.now() < deadline) {
      const i = attempts++;
      const address = strangerAddress(i % command.addresses);
      const upn = command.upns[(i * 7919) % command.upns.length]!;
      try {
        switch (i % 4) {
          case 0:
          case 1: {
            // Fill a pending slot of the user (and renew it: a newer request supersedes this client's older one).
            const created = await post(address, { upn }, 'slot');
            const signin = created.body as { requestId?: string; browserToken?: string };
            for (let s = 0; created.status === 201 && s < 4 && (heldPerAddress.get(address) ?? 0) < command.streamsPerAddress; s++) {
              await holdStream(address, signin.requestId!, signin.browserToken!);
            }
            break;
          }
          case 2:
            await post(address, { upn, password: `wrong-password-${i}` }, 'password');
            break;
          default:
            await post(address, { upn: `ghost-${i}@bench.test`, password: `wrong-password-${i}` }, 'unknown-name');
        }
      } catch (error) {
        count(error instanceof Error ? error.message.replace(/[0-9]+/g, 'N').slice(0, 40) : 'error');
      }
    }
  };
  process.send!({ cmd: 'attacking' } satisfies AttackReply);
  await Promise.all(Array.from({ length: command.concurrency }, loop));
  for (const request of held) request.destroy();
  client.close();
  process.send!({
    cmd: 'attacked',
    attempts,
    seconds: (performance.now() - started) / 1000,
    answers,
    streams,
  } satisfies AttackReply);
}

process.on('message', (command: AttackCommand) => {
  if (command.cmd === 'stop') {
    stopping = true;
    return;
  }
  attack(command).catch((error: unknown) =>
    process.send!({ cmd: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AttackReply),
  );
});
