import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';

/**
 * The faults of `--scenario faults`, injected while sign-ins run over PostgreSQL + Redis: every
 * relay connection to the database terminated at once (`pg_terminate_backend`), and Redis stopped
 * and started again. The bench's own Redis, so a restart pulls it from under no one else.
 */

export interface PrivateRedis {
  readonly url: string;
  /** Stops it and starts it again on the same port; resolves with how long it was away, in ms. */
  restart(): Promise<number>;
  stop(): Promise<void>;
}

function startRedisServer(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Ready to accept connections/.test(output)) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startPrivateRedis(port: number): Promise<PrivateRedis> {
  let child = await startRedisServer(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      const stoppedAt = Date.now();
      await stopProcess(child);
      child = await startRedisServer(port);
      return Date.now() - stoppedAt;
    },
    stop: () => stopProcess(child),
  };
}

/** Terminates every other connection to this database (the relays' pools); returns how many. */
export async function terminateDatabaseConnections(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return result.rows.filter((row) => row.terminated).length;
  } finally {
    await client.end();
  }
}
