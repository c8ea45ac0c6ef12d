import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Starts the private PostgreSQL and Redis (scripts/services.sh) that the scale-out tests use, and
 * stops them afterwards. COUNTERSIGN_SERVICES=off skips this; those tests then say so and skip.
 */
export default function setup(): (() => void) | undefined {
  if (process.env.COUNTERSIGN_SERVICES === 'off' || process.env.COUNTERSIGN_TEST_DATABASE_URL) return undefined;
  const root = path.resolve(import.meta.dirname, '..');
  const script = path.join(root, 'scripts', 'services.sh');
  execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const line of readFileSync(path.join(root, '.tmp', 'services', 'env'), 'utf8').split('\n')) {
    const [key, ...value] = line.split('=');
    if (key && value.length > 0) process.env[key] = value.join('=');
  }
  return () => {
    if (process.env.COUNTERSIGN_KEEP_SERVICES !== '1') execFileSync('bash', [script, 'stop'], { stdio: 'ignore' });
  };
}
