import { describe, expect, it } from 'vitest';
import { eventLoopSchedule } from '../../../bench/processes.ts';

describe("a server's event-loop schedule", () => {
  it('counts the main thread on a core, and grows while it works', () => {
    const before = eventLoopSchedule(process.pid);
    // 60 ms of CPU on this thread, measured as CPU, not as wall time: on two shared cores the
    // thread can wait for a core through most of a wall-clock interval. Bounded at 10 s.
    const cpuAtStart = process.cpuUsage();
    const deadline = Date.now() + 10_000;
    const cpuMicros = () => {
      const used = process.cpuUsage(cpuAtStart);
      return used.user + used.system;
    };
    while (cpuMicros() < 60_000 && Date.now() < deadline);
    const after = eventLoopSchedule(process.pid);
    expect(after.running - before.running).toBeGreaterThan(0.02);
    expect(after.waiting).toBeGreaterThanOrEqual(before.waiting);
  });

  it('is NaN, not an error, for a process that is gone', () => {
    expect(eventLoopSchedule(2 ** 22 + 1)).toEqual({ running: NaN, waiting: NaN });
  });
});
