/** Thrown by `WorkLimiter.run` when every slot is busy and the waiting line is full. */
export class WorkQueueFull extends Error {
  constructor() {
    super('too much work waiting');
    this.name = 'WorkQueueFull';
  }
}

/**
 * At most `concurrency` tasks at once, at most `maxWaiting` more in line (first come, first
 * served); beyond that `run` refuses at once with WorkQueueFull, so a flood costs a bounded amount
 * of CPU, memory and waiting, never an unbounded queue. Counts what it did, for tests and metrics.
 *
 * ```ts
 * const limiter = new WorkLimiter({ concurrency: 2, maxWaiting: 32 });
 * const key = await limiter.run(() => derive(password, salt)); // or throws WorkQueueFull
 * ```
 */
export class WorkLimiter {
  readonly concurrency: number;
  readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most tasks ever running at once. */
  peakRunning = 0;
  /** Tasks refused because the line was full. */
  refused = 0;

  constructor(options: { concurrency: number; maxWaiting: number }) {
    if (!(options.concurrency >= 1) || !(options.maxWaiting >= 0)) throw new RangeError('concurrency must be ≥ 1 and maxWaiting ≥ 0');
    this.concurrency = options.concurrency;
    this.maxWaiting = options.maxWaiting;
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        this.refused += 1;
        throw new WorkQueueFull();
      }
      // The slot is handed over by the task that finishes (`running` is not decremented then).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    this.peakRunning = Math.max(this.peakRunning, this.running);
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
