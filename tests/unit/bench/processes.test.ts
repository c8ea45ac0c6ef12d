import { describe, expect, it } from 'vitest';
import { eventLoopSchedule } from '../../../bench/processes.ts';

describe("a server's event-loop schedule", () => {
  it('counts the main thread on a core, and grows while it works', () => {
    const before = eventLoopSchedule(process.pid);
    const until = Date.now() + 30;
    while (Date.now() < until); // 30 ms of work on this thread
    const after = eventLoopSchedule(process.pid);
    expect(after.running - before.running).toBeGreaterThan(0.02);
    expect(after.waiting).toBeGreaterThanOrEqual(before.waiting);
  });

  it('is NaN, not an error, for a process that is gone', () => {
    expect(eventLoopSchedule(2 ** 22 + 1)).toEqual({ running: NaN, waiting: NaN });
  });
});
