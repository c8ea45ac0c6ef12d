import { describe, expect, it } from 'vitest';
import { WorkLimiter, WorkQueueFull } from '../../../relay-server/security/work-limiter.ts';

/** A task the test finishes by hand, so nothing depends on timing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let started = false;
  const task = async () => {
    started = true;
    await opened;
    return 'done';
  };
  return { task, open, started: () => started };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkLimiter', () => {
  it('runs at most `concurrency` tasks at once and starts the next as one finishes', async () => {
    const limiter = new WorkLimiter({ concurrency: 2, maxWaiting: 10 });
    const gates = Array.from({ length: 5 }, gate);
    const runs = gates.map((g) => limiter.run(g.task));
    await settle();
    expect(gates.map((g) => g.started())).toEqual([true, true, false, false, false]);
    expect([limiter.active, limiter.queued]).toEqual([2, 3]);
    gates[0]!.open();
    await settle();
    expect(gates.map((g) => g.started())).toEqual([true, true, true, false, false]);
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect([limiter.active, limiter.queued, limiter.peakRunning]).toEqual([0, 0, 2]);
  });

  it('refuses at once when the waiting line is full, and counts the refusal', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, maxWaiting: 2 });
    const gates = Array.from({ length: 3 }, gate);
    const runs = gates.map((g) => limiter.run(g.task));
    const extra = gate();
    await expect(limiter.run(extra.task)).rejects.toBeInstanceOf(WorkQueueFull);
    expect(extra.started()).toBe(false);
    expect(limiter.refused).toBe(1);
    for (const g of gates) g.open();
    await Promise.all(runs);
    // Room again once the line has drained.
    await expect(limiter.run(async () => 'later')).resolves.toBe('later');
  });

  it('serves waiting tasks first come, first served', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, maxWaiting: 5 });
    const order: number[] = [];
    const first = gate();
    const running = limiter.run(first.task);
    const waiting = [1, 2, 3].map((n) => limiter.run(async () => void order.push(n)));
    first.open();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual([1, 2, 3]);
  });

  it('frees the slot when a task fails, and passes the failure on', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, maxWaiting: 1 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.active).toBe(0);
    await expect(limiter.run(async () => 1)).resolves.toBe(1);
  });

  it('rejects a limit that could never run anything', () => {
    expect(() => new WorkLimiter({ concurrency: 0, maxWaiting: 1 })).toThrow(RangeError);
    expect(() => new WorkLimiter({ concurrency: 1, maxWaiting: -1 })).toThrow(RangeError);
  });
});
