import { performance } from 'node:perf_hooks';
import { BrowserClient } from './browser-client.ts';

/**
 * The attacker of `npm run bench -- --scenario password-spam`, in its own process (forked by
 * bench/run.ts): `concurrency` loops of wrong passwords (POST /api/v1/signins {upn, password}),
 * each from a new X-Forwarded-For address (a botnet; the relay runs with TRUST_PROXY=1), over a
 * rotating mix of names: known users with a password, known users without one, and names that
 * do not exist. It ignores Retry-After, as an attacker would. Every loop ends at `stop` or at
 * the deadline, whichever comes first.
 */

export type SprayCommand =
  | { cmd: 'spray'; origin: string; withPassword: string[]; withoutPassword: string[]; concurrency: number; deadlineMs: number }
  | { cmd: 'stop' };

export type SprayReply =
  | { cmd: 'spraying' }
  | { cmd: 'sprayed'; attempts: number; seconds: number; answers: Record<string, number> }
  | { cmd: 'error'; message: string };

let stopping = false;

async function spray(command: Extract<SprayCommand, { cmd: 'spray' }>): Promise<void> {
  const client = new BrowserClient(command.concurrency + 4);
  const answers: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + command.deadlineMs;
  let attempts = 0;
  const names = (i: number) =>
    i % 3 === 0
      ? command.withPassword[i % command.withPassword.length]!
      : i % 3 === 1
        ? command.withoutPassword[i % command.withoutPassword.length]!
        : `ghost-${i}@bench.test`;
  const loop = async () => {
    while (!stopping && performance.now() < deadline) {
      const i = attempts++;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      try {
        const answer = await client.request(
          command.origin,
          'POST',
          '/api/v1/signins',
          { upn: names(i), password: `wrong-password-${i}` },
          undefined,
          15_000,
          {
            'x-forwarded-for': address,
          },
        );
        const code = (answer.body as { error?: { code?: string } } | null)?.error?.code ?? '';
        const key = `${answer.status} ${code}`.trim();
        answers[key] = (answers[key] ?? 0) + 1;
      } catch (error) {
        const key = error instanceof Error ? error.message.slice(0, 40) : 'error';
        answers[key] = (answers[key] ?? 0) + 1;
      }
    }
  };
  process.send!({ cmd: 'spraying' } satisfies SprayReply);
  await Promise.all(Array.from({ length: command.concurrency }, loop));
  client.close();
  process.send!({ cmd: 'sprayed', attempts, seconds: (performance.now() - started) / 1000, answers } satisfies SprayReply);
}

process.on('message', (command: SprayCommand) => {
  if (command.cmd === 'stop') {
    stopping = true;
    return;
  }
  spray(command).catch((error: unknown) =>
    process.send!({ cmd: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies SprayReply),
  );
});
