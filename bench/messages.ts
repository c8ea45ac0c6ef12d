/** What bench/run.ts and its load-generator processes say to each other over IPC. */

export type GeneratorCommand =
  | { cmd: 'pair'; origin: string; adminToken: string; upns: { index: number; upn: string }[]; poolSize: number }
  | { cmd: 'connect'; publicOrigin: string; socketUrls: string[]; poolSize: number }
  | {
      cmd: 'run';
      kind: 'relay' | 'baseline';
      apiOrigins: string[];
      concurrency: number;
      warmupMs: number;
      durationMs: number;
      /**
       * Familiar browsers (lockout-attack): each device's browser completes its first approved
       * sign-in to get the relay's familiar-browser cookie, and sends it from then on.
       */
      familiar?: boolean;
    }
  /**
   * The socket caps (section 4): for `devices` of this generator's devices, open more authenticated
   * sockets until each holds `cap`, then one more, which the relay must reject.
   */
  | { cmd: 'capSockets'; socketUrl: string; devices: number; cap: number }
  | { cmd: 'disconnect' }
  | { cmd: 'exit' };

/** One sign-in the generator created, and the status its browser saw (null: none). */
export interface SigninRecord {
  requestId: string;
  deviceId: string;
  seen: string | null;
}

export interface RunStats {
  /** Round trips (ms) of the approvals that finished inside the measured window. */
  latencies: number[];
  failures: number;
  failureKinds: Record<string, number>;
  records: SigninRecord[];
  /** requestId → how many `result approved` frames the device got for it. */
  approvedResults: Record<string, number>;
  duplicateChallenges: number;
  otherResults: number;
  /** Those other results by outcome and code. */
  otherOutcomes: Record<string, number>;
  /** Frames devices sent again after the relay answered `unavailable`, and browsers' event streams opened again. */
  retries: number;
  /** CPU time this process spent inside the measured window. */
  cpuSeconds: number;
}

export type GeneratorReply =
  | { cmd: 'started' }
  | { cmd: 'paired'; count: number }
  | { cmd: 'connected'; connected: number; failures: number; seconds: number; firstError?: string }
  | { cmd: 'ran'; stats: RunStats }
  | { cmd: 'capped'; opened: number; overCapRejected: number; overCapAccepted: number; failures: number }
  | { cmd: 'disconnected' }
  | { cmd: 'error'; message: string };
