import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';

/**
 * DATA_DIR holds the database and the admin token: only the relay's own user may read them.
 * A directory the relay creates is 0700; one that already exists is left as the operator made it
 * (DATA_DIR=/tmp must not become private), and `wideDataDirWarning` names it when others can enter.
 */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask; this is not.
}

/** A warning when `dir` exists and its group or others may read or enter it, or undefined. */
export function wideDataDirWarning(dir: string): string | undefined {
  if (process.platform === 'win32' || !existsSync(dir)) return undefined;
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `DATA_DIR ${dir} is mode ${mode.toString(8).padStart(3, '0')}: other users of this machine may read the database there. Run chmod 700 ${dir}.`;
}

/** Makes the files that exist among `files` readable and writable by the relay's user only (0600). */
export function makePrivate(...files: string[]): void {
  if (process.platform === 'win32') return;
  for (const file of files) if (existsSync(file)) chmodSync(file, 0o600);
}
