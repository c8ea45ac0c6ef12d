import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ApiError } from '../api-error.ts';
import { aggregateKey } from './aggregate-key.ts';
import { PasswordLine, PasswordLineFull, type LinePlace } from './password-line.ts';

/**
 * scrypt, N=2^15, r=8, p=1 (tens of milliseconds). Stored as `scrypt$N$r$p$salt$hash` so the cost can
 * grow later without breaking old hashes.
 */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

/**
 * Every scrypt derivation goes through this limiter. libuv's thread pool (4 threads) also runs the
 * approvals' signature checks (verify-signature.ts): with at most 2 derivations at once (1 on a
 * two-core machine, so one core stays with the event loop), a password spray can never take the
 * whole pool or all the CPU, and approvals never wait behind it. It also bounds scrypt's memory
 * (32 MiB each). Up to 8 more per slot wait in line (eight derivations' time, well under a
 * second on a current server); past that, a password check is refused at once (503
 * `unavailable`, Retry-After 1) instead of queueing without end.
 */
const PASSWORD_CONCURRENCY = Math.max(1, Math.min(2, availableParallelism() - 1));
/** The fair line of docs/protocol.md section 5 (security/password-line.ts): familiar browsers first, then clients in turn. */
export const passwordWork = new PasswordLine({ concurrency: PASSWORD_CONCURRENCY, maxWaiting: 8 * PASSWORD_CONCURRENCY });

/** Who the relay's own derivations (an administrator setting a password, the decoy) wait as. */
const RELAY_PLACE: LinePlace = { client: 'relay', familiar: true };

/** Seconds a refused password check is told to wait. */
export const PASSWORD_BUSY_RETRY_SECONDS = 1;

/**
 * A refusal is answered after that second, with at most MAX_HELD_REFUSALS held at once (beyond,
 * at once): a sprayer with N connections then gets about N answers a second instead of
 * thousands, and the event loop stays with the approvals (`npm run bench -- --scenario
 * password-spam`; docs/performance.md has the figures).
 */
const MAX_HELD_REFUSALS = 512;
let heldRefusals = 0;

async function pauseBeforeRefusal(): Promise<void> {
  if (heldRefusals >= MAX_HELD_REFUSALS) return;
  heldRefusals += 1;
  try {
    await new Promise((resolve) => setTimeout(resolve, PASSWORD_BUSY_RETRY_SECONDS * 1000));
  } finally {
    heldRefusals -= 1;
  }
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * A derivation in its place in the line. A refused one becomes `429 rate_limited` with
 * Retry-After, saying what is paused (unfamiliar clients' checks) and what works: never a 503
 * for everyone.
 */
async function limitedDerive(password: string, salt: Buffer, N: number, r: number, p: number, place: LinePlace): Promise<Buffer> {
  try {
    return await passwordWork.run(() => derive(password, salt, N, r, p), place);
  } catch (error) {
    if (!(error instanceof PasswordLineFull)) throw error;
    await pauseBeforeRefusal();
    throw new ApiError(
      429,
      'rate_limited',
      error.scope === 'client'
        ? `A password check from here is already waiting; wait for its answer. Try again in ${PASSWORD_BUSY_RETRY_SECONDS} second.`
        : 'Password checks from unknown places are paused for a moment because many are waiting; sign in from a browser you used ' +
            `before, sign in with a code, or try again in ${PASSWORD_BUSY_RETRY_SECONDS} second.`,
      PASSWORD_BUSY_RETRY_SECONDS,
    );
  }
}

export async function hashPassword(password: string, place: LinePlace = RELAY_PLACE): Promise<string> {
  const salt = randomBytes(16);
  const key = await limitedDerive(password, salt, COST.N, COST.r, COST.p, place);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of a password nobody knows, verified when the user is unknown so timing tells nothing. */
let decoyHash: Promise<string> | undefined;

function decoy(): Promise<string> {
  if (!decoyHash) {
    const made = hashPassword(randomBytes(32).toString('base64url'), RELAY_PLACE);
    // Made under load it may be refused; the next attempt makes it again.
    made.catch(() => {
      if (decoyHash === made) decoyHash = undefined;
    });
    decoyHash = made;
  }
  return decoyHash;
}

/**
 * Whether `password` matches `stored`; with no stored hash (unknown user, or no password) it
 * checks against the decoy, so both cost one derivation. `who` is the client asking (its place in
 * the fair line). Throws ApiError 429 when that client may not wait now.
 */
export async function verifyPassword(
  password: string,
  stored: string | null | undefined,
  who: { clientKey: string; isFamiliar: boolean } = { clientKey: 'relay', isFamiliar: true },
): Promise<boolean> {
  const hash = stored ?? (await decoy());
  const [scheme, n, r, p, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  // The line's unfamiliar places are an aggregate cap: an IPv6 /48 waits as one client (section 1).
  const place = { client: who.isFamiliar ? who.clientKey : aggregateKey(who.clientKey), familiar: who.isFamiliar };
  const actual = await limitedDerive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), place);
  return timingSafeEqual(actual, expected) && stored != null;
}
