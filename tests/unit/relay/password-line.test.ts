import { describe, expect, it } from 'vitest';
import { PasswordLine, PasswordLineFull } from '../../../relay-server/security/password-line.ts';

/** A task the test finishes by hand, recording the order tasks started in. */
function gate(started: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { task: () => (started.push(name), done), open };
}

describe('PasswordLine', () => {
  it('runs familiar browsers first, then unfamiliar clients in turn, one waiting check each', async () => {
    const line = new PasswordLine({ concurrency: 1, maxWaiting: 3 });
    const started: string[] = [];
    const first = gate(started, 'first');
    const running = line.run(first.task, { client: '192.0.2.1', familiar: false });
    const a = gate(started, 'a');
    const b = gate(started, 'b');
    const home = gate(started, 'home');
    const waiting = [
      line.run(a.task, { client: '192.0.2.2', familiar: false }),
      line.run(b.task, { client: '192.0.2.3', familiar: false }),
      line.run(home.task, { client: 'familiar:x', familiar: true }),
    ];
    // A second waiting check from the same client is refused for that client alone.
    await expect(line.run(async () => undefined, { client: '192.0.2.2', familiar: false })).rejects.toMatchObject({ scope: 'client' });
    first.open();
    await running;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['first', 'home']);
    home.open();
    await waiting[2];
    a.open();
    b.open();
    await Promise.all(waiting);
    expect(started).toEqual(['first', 'home', 'a', 'b']);
  });

  it('bounds unfamiliar waiting, and never refuses a familiar browser because of it', async () => {
    const line = new PasswordLine({ concurrency: 1, maxWaiting: 1 });
    const started: string[] = [];
    const first = gate(started, 'first');
    const running = line.run(first.task, { client: '192.0.2.1', familiar: false });
    const a = gate(started, 'a');
    const waiting = line.run(a.task, { client: '192.0.2.2', familiar: false });
    const refused = line.run(async () => undefined, { client: '192.0.2.3', familiar: false });
    await expect(refused).rejects.toBeInstanceOf(PasswordLineFull);
    await expect(refused).rejects.toMatchObject({ scope: 'unfamiliar' });
    const home = gate(started, 'home');
    const mine = line.run(home.task, { client: 'familiar:x', familiar: true });
    first.open();
    home.open();
    a.open();
    await Promise.all([running, waiting, mine]);
    expect(started).toEqual(['first', 'home', 'a']);
  });
});
