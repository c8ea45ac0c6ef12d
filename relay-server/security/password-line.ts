/** Who a password check is for, as the line orders it. */
export interface LinePlace {
  /** The client key (a familiar browser's own, else the address's). */
  client: string;
  /** A familiar browser of the user named (docs/protocol.md section 5): it goes first and is never refused. */
  familiar: boolean;
}

/** Why the line refused a check: this client has one waiting already, or unfamiliar clients fill the line. */
export class PasswordLineFull extends Error {
  constructor(readonly scope: 'client' | 'unfamiliar') {
    super(scope === 'client' ? 'this client already has a password check waiting' : 'too many password checks from unknown places waiting');
    this.name = 'PasswordLineFull';
  }
}

/**
 * The fair password line of docs/protocol.md section 5: at most `concurrency` checks run at once;
 * when a slot frees, familiar browsers' checks go first (oldest first), then the waiting
 * unfamiliar clients in turn, each with at most one check waiting (a second is refused for that
 * client alone) and at most `maxWaiting` of them in all. A spray from many addresses slows new
 * browsers' checks down but never refuses a familiar browser's, and nobody is told "busy" for
 * what the others do: a refusal names the client's own place.
 *
 * ```ts
 * const key = await line.run(() => derive(password, salt), { client: 'familiar:…', familiar: true });
 * ```
 */
export class PasswordLine {
  readonly concurrency: number;
  /** Unfamiliar clients that may wait at once. */
  readonly maxWaiting: number;
  /** Familiar browsers' checks that may wait; a bound against memory only, never reached by strangers. */
  readonly maxFamiliarWaiting: number;
  private running = 0;
  private readonly familiarWaiting: (() => void)[] = [];
  /** One waiting check per unfamiliar client; a Map keeps insertion order, so they go in turn. */
  private readonly clientsWaiting = new Map<string, () => void>();
  private anonymous = 0;
  /** The most checks ever running at once. */
  peakRunning = 0;
  /** Checks refused because the client had one waiting, or the unfamiliar line was full. */
  refused = 0;

  constructor(options: { concurrency: number; maxWaiting: number; maxFamiliarWaiting?: number }) {
    if (!(options.concurrency >= 1) || !(options.maxWaiting >= 0)) throw new RangeError('concurrency must be ≥ 1 and maxWaiting ≥ 0');
    this.concurrency = options.concurrency;
    this.maxWaiting = options.maxWaiting;
    this.maxFamiliarWaiting = options.maxFamiliarWaiting ?? 1024;
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.familiarWaiting.length + this.clientsWaiting.size;
  }

  /** Runs `task` in its turn; throws PasswordLineFull when its client may not wait. Without `place`, a client of its own. */
  async run<T>(task: () => Promise<T>, place: LinePlace = { client: `anonymous:${this.anonymous++}`, familiar: false }): Promise<T> {
    if (this.running >= this.concurrency) {
      if (place.familiar) {
        if (this.familiarWaiting.length >= this.maxFamiliarWaiting) {
          this.refused += 1;
          throw new PasswordLineFull('client');
        }
        // The slot is handed over by the task that finishes (`running` is not decremented then).
        await new Promise<void>((resolve) => this.familiarWaiting.push(resolve));
      } else {
        if (this.clientsWaiting.has(place.client)) {
          this.refused += 1;
          throw new PasswordLineFull('client');
        }
        if (this.clientsWaiting.size >= this.maxWaiting) {
          this.refused += 1;
          throw new PasswordLineFull('unfamiliar');
        }
        await new Promise<void>((resolve) => this.clientsWaiting.set(place.client, resolve));
      }
    } else {
      this.running += 1;
    }
    this.peakRunning = Math.max(this.peakRunning, this.running);
    try {
      return await task();
    } finally {
      this.handOver();
    }
  }

  private handOver(): void {
    const familiar = this.familiarWaiting.shift();
    if (familiar) return familiar();
    const next = this.clientsWaiting.entries().next();
    if (!next.done) {
      const [client, resume] = next.value;
      this.clientsWaiting.delete(client);
      return resume();
    }
    this.running -= 1;
  }
}
