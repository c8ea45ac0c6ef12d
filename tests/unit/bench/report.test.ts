import { describe, expect, it } from 'vitest';
import { correct, markdownReport, summaryLine, type BenchResult, type SideResult } from '../../../bench/report.ts';

const side = (changes: Partial<SideResult> = {}): SideResult => ({
  throughput: 500,
  completed: 10_000,
  p50: 50,
  p95: 80,
  p99: 100,
  failures: 0,
  failureKinds: {},
  signinsCreated: 10_000,
  connectedDevices: 500,
  serverRssBeforeMiB: 100,
  serverRssAfterMiB: 105,
  memoryPerDeviceKiB: 10,
  heapPerDeviceKiB: 4,
  serverCpuCores: 0.5,
  generatorCpuCores: 1,
  ...changes,
});

const result = (changes: Partial<BenchResult> = {}): BenchResult => ({
  at: '2026-12-07T00:00:00.000Z',
  command: 'npm run bench',
  machine: { cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v20', platform: 'linux' },
  options: { devices: 500, concurrency: 64, durationMs: 10_000, warmupMs: 2_000, instances: 1, generators: 2, browserSide: 'SSE' },
  relay: side(),
  baseline: side({ throughput: 1000, p99: 60, serverCpuCores: 0.3 }),
  correctness: { signinsCreated: 10_000, approvedInDatabase: 10_000, rowsInDatabase: 10_000, lost: 0, duplicated: 0, wrong: 0 },
  ...changes,
});

describe('the bench report', () => {
  it('opens with one line: every target, its figure and pass or FAIL', () => {
    const line = summaryLine(result());
    expect(markdownReport(result()).split('\n')[0]).toBe(line);
    // 500/s against 1000/s is 0.5×, under 0.6×; p99 100 against 60 is 1.67×; CPU 1 ms against 0.3 ms is 3.33×.
    expect(line).toContain('throughput ≥0.6×: 0.50× FAIL');
    expect(line).toContain('p99 ≤2×: 1.67× pass');
    expect(line).toContain('CPU/sign-in ≤3×: 1.00 ms, 3.33× FAIL');
    expect(line).toContain('≤12 KiB/device: 10.0 KiB (judged from 2000 devices) not measured');
    expect(line).toContain('correct: 0 lost, 0 duplicated, 0 wrong, 0 failed pass');
  });

  it('judges memory per device only from 2,000 devices, where fixed costs no longer dominate it', () => {
    const at = (devices: number, memoryPerDeviceKiB: number) =>
      summaryLine(result({ options: { ...result().options, devices }, relay: side({ connectedDevices: devices, memoryPerDeviceKiB }) }));
    expect(at(2_000, 10)).toContain('≤12 KiB/device: 10.0 KiB pass');
    expect(at(10_000, 12.5)).toContain('≤12 KiB/device: 12.5 KiB FAIL');
    expect(at(500, 13.2)).toContain('≤12 KiB/device: 13.2 KiB (judged from 2000 devices) not measured');
  });

  it("shows the event loop's time on a core and waiting for one, when it was measured", () => {
    const measured = markdownReport(
      result({
        relay: side({ eventLoopCores: 0.82, eventLoopWaitingCores: 0.18 }),
        baseline: side({ eventLoopCores: 0.34, eventLoopWaitingCores: 0.01 }),
      }),
    );
    expect(measured).toContain('| event loop on a core / waiting for one (cores) | 0.82 / 0.18 | 0.34 / 0.01 |');
    expect(markdownReport(result())).not.toContain('event loop on a core');
  });

  it('says "not measured" for the ratios when the baseline was skipped', () => {
    expect(summaryLine(result({ baseline: null }))).toContain('throughput ≥0.6×: – not measured');
  });

  it('is correct only with nothing lost, duplicated, wrong, failed, missing or over a socket cap', () => {
    const fine = result();
    expect(correct(fine)).toBe(true);
    expect(correct({ ...fine, baseline: null, relay: side({ throughput: 1, p99: 99_999 }) })).toBe(true); // never on speed
    expect(correct({ ...fine, correctness: { ...fine.correctness, lost: 1 } })).toBe(false);
    expect(correct({ ...fine, correctness: { ...fine.correctness, duplicated: 1 } })).toBe(false);
    expect(correct({ ...fine, correctness: { ...fine.correctness, wrong: 1 } })).toBe(false);
    expect(correct({ ...fine, relay: side({ failures: 1 }) })).toBe(false);
    expect(correct({ ...fine, relay: side({ connectedDevices: 499 }) })).toBe(false);
    const caps = { cap: 4, devices: 500, opened: 1500, overCapRejected: 499, overCapAccepted: 1, failures: 0, memoryPerSocketKiB: 8 };
    expect(correct({ ...fine, socketCaps: caps })).toBe(false);
    expect(correct({ ...fine, socketCaps: { ...caps, overCapRejected: 500, overCapAccepted: 0 } })).toBe(true);
  });
});
