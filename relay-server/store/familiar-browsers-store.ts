import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import type { Database } from './schema.ts';

/** The cookie a browser gets when a user signs in from it (any method): it is then familiar. */
export const FAMILIAR_COOKIE = 'countersign_familiar';
export const FAMILIAR_LIFETIME_MS = 90 * 86_400_000;

/** docs/protocol.md section 5: a cookie seen from more client addresses than this in an hour counts as unfamiliar. */
export const FAMILIAR_MAX_ADDRESSES_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/** How a familiar browser's client key is spelled: never an address, so no address can collide with it. */
export const FAMILIAR_CLIENT_PREFIX = 'familiar:';

/** The cookie id a familiar client key names, or undefined for an address key. */
export function familiarIdOf(clientKey: string): string | undefined {
  return clientKey.startsWith(FAMILIAR_CLIENT_PREFIX) ? clientKey.slice(FAMILIAR_CLIENT_PREFIX.length) : undefined;
}

export function isFamiliarClient(clientKey: string): boolean {
  return clientKey.startsWith(FAMILIAR_CLIENT_PREFIX);
}

/** A cookie that checked out: its id on the relay and the user it was issued for. */
export interface FamiliarBrowser {
  id: string;
  userId: string;
  /** The client key every limit counts it by (docs/protocol.md section 1: a familiar browser is its cookie). */
  clientKey: string;
}

/** Addresses one cookie was presented from lately (per instance, in memory). */
interface Sightings {
  addresses: Map<string, number>;
  unfamiliarUntil: number;
}

/**
 * Familiar browsers, as Entra's smart lockout treats familiar locations. A browser a user signed
 * in from holds `{id}.{userId}.{expiresAt}.{HMAC-SHA256}` (the key is made by the relay on first
 * start, store/relay-secrets.ts); the id is a row of `familiar_browsers`, so each cookie is a
 * client of its own and can be revoked. A cookie presented from more than 3 client addresses
 * within an hour counts as unfamiliar for the next hour: a stolen cookie replayed from a botnet
 * buys nothing. Sightings are kept per relay instance.
 */
export class FamiliarBrowsers {
  private key: Promise<Buffer> | undefined;
  private readonly sightings = new Map<string, Sightings>();

  constructor(private readonly deps: { db: Kysely<Database>; loadKey: () => Promise<Buffer>; now: () => number }) {}

  /** The cookie value that makes this browser familiar for `userId` for FAMILIAR_LIFETIME_MS. */
  async issue(userId: string): Promise<string> {
    const id = randomId();
    const now = this.deps.now();
    const expiresAt = now + FAMILIAR_LIFETIME_MS;
    await this.deps.db
      .insertInto('familiar_browsers')
      .values({ id, user_id: userId, created_at: now, expires_at: expiresAt, revoked_at: null })
      .execute();
    const payload = `${id}.${Buffer.from(userId, 'utf8').toString('base64url')}.${expiresAt}`;
    return `${payload}.${await this.mac(payload)}`;
  }

  /**
   * The familiar browser this cookie makes of a request from `clientKey`: signed by this relay,
   * unexpired, not revoked, issued for `userId` when given, and not seen from too many addresses.
   * Undefined otherwise. Each call from a new address counts as a sighting.
   */
  async resolve(cookie: string | undefined, clientKey: string, userId?: string): Promise<FamiliarBrowser | undefined> {
    const parsed = await this.parse(cookie);
    if (!parsed || (userId !== undefined && parsed.userId !== userId)) return undefined;
    const row = await this.deps.db
      .selectFrom('familiar_browsers')
      .select(['user_id', 'revoked_at', 'expires_at'])
      .where('id', '=', parsed.id)
      .executeTakeFirst();
    const now = this.deps.now();
    if (!row || row.user_id !== parsed.userId || row.revoked_at !== null || Number(row.expires_at) <= now) return undefined;
    if (!this.sighted(parsed.id, clientKey, now)) return undefined;
    return { id: parsed.id, userId: parsed.userId, clientKey: `${FAMILIAR_CLIENT_PREFIX}${parsed.id}` };
  }

  /** Whether `cookie` is a familiar browser of `userId` (as `resolve`, without a new sighting when the address is known). */
  async verify(cookie: string | undefined, userId: string, clientKey = ''): Promise<boolean> {
    return (await this.resolve(cookie, clientKey, userId)) !== undefined;
  }

  /** "Sign out everywhere" and a password change: none of the user's browsers is familiar any more. */
  async revokeAllOf(userId: string): Promise<void> {
    await this.deps.db
      .updateTable('familiar_browsers')
      .set({ revoked_at: this.deps.now() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** A report of a request this browser made: it is a stranger from now on. */
  async revoke(id: string): Promise<void> {
    await this.deps.db.updateTable('familiar_browsers').set({ revoked_at: this.deps.now() }).where('id', '=', id).execute();
  }

  /** Forgets expired and long-revoked rows; the relay calls this with its other sweeps. */
  async sweep(): Promise<void> {
    await this.deps.db.deleteFrom('familiar_browsers').where('expires_at', '<=', this.deps.now()).execute();
  }

  private async parse(cookie: string | undefined): Promise<{ id: string; userId: string } | undefined> {
    if (!cookie || cookie.length > 512) return undefined;
    const parts = cookie.split('.');
    if (parts.length !== 4) return undefined;
    const [id, encodedUser, expiresAt, mac] = parts as [string, string, string, string];
    const payload = `${id}.${encodedUser}.${expiresAt}`;
    const expected = Buffer.from(await this.mac(payload));
    const given = Buffer.from(mac);
    // MAC lengths are public; compare the bytes in constant time.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (!/^\d{1,16}$/.test(expiresAt) || Number(expiresAt) <= this.deps.now()) return undefined;
    return { id, userId: Buffer.from(encodedUser, 'base64url').toString('utf8') };
  }

  /** Records the cookie at this address; false once it has been seen from too many addresses within an hour. */
  private sighted(id: string, clientKey: string, now: number): boolean {
    let seen = this.sightings.get(id);
    if (!seen) {
      if (this.sightings.size >= 100_000) this.prune(now);
      this.sightings.set(id, (seen = { addresses: new Map(), unfamiliarUntil: 0 }));
    }
    if (seen.unfamiliarUntil > now) return false;
    for (const [address, at] of seen.addresses) if (at <= now - HOUR_MS) seen.addresses.delete(address);
    if (clientKey !== '') seen.addresses.set(clientKey, now);
    if (seen.addresses.size > FAMILIAR_MAX_ADDRESSES_PER_HOUR) {
      seen.unfamiliarUntil = now + HOUR_MS;
      seen.addresses.clear();
      return false;
    }
    return true;
  }

  private prune(now: number): void {
    for (const [id, seen] of this.sightings) {
      const latest = Math.max(0, ...seen.addresses.values());
      if (seen.unfamiliarUntil <= now && latest <= now - HOUR_MS) this.sightings.delete(id);
    }
  }

  private async mac(payload: string): Promise<string> {
    this.key ??= this.deps.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return createHmac('sha256', await this.key)
      .update(payload, 'utf8')
      .digest('base64url');
  }
}
