/**
 * Whether an error means the database cannot be reached right now (as opposed to a bug), so the
 * relay answers 503 `unavailable` and clients retry, instead of 500.
 */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  // SQLite: busy or locked past busy_timeout.
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    error.message,
  );
}

/**
 * Runs `work` again, up to twice, when the database was unreachable for a moment (a connection
 * terminated under it, say): for the bookkeeping after a decision that is already settled, whose
 * answer the device must still get. Only for work that may safely run twice.
 */
export async function retryWhileDatabaseUnavailable<T>(work: () => Promise<T>, delaysMs: readonly number[] = [100, 400]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isDatabaseUnavailable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
