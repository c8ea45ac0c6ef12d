import type { Kysely } from 'kysely';
import { randomId } from '../../protocol/encoding.ts';
import { hashSecret } from '../security/secrets.ts';
import type { Database, DeviceRow } from './schema.ts';

export type RedeemOutcome = { ok: true; device: DeviceRow } | { ok: false; code: 'pairing_expired' | 'pairing_used' | 'invalid_request' };

export class PairingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(userId: string, now: number, lifetimeMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomId();
    const expiresAt = now + lifetimeMs;
    await this.db
      .insertInto('pairing_offers')
      .values({ token_hash: hashSecret(token), user_id: userId, created_at: now, expires_at: expiresAt, used_at: null })
      .execute();
    return { token, expiresAt };
  }

  /** Looks the offer up without using it (signature checks come before redemption). */
  find(token: string) {
    return this.db.selectFrom('pairing_offers').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirst();
  }

  /**
   * Marks the offer used and adds the device in one transaction; the conditional update makes a
   * token single-use even when two redemptions race.
   */
  async redeem(
    token: string,
    device: {
      name: string;
      publicKey: string;
      connectPublicKey: string;
      /** The new device's id, when the caller needed it first (to seal the OPRF key for it). */
      id?: string;
      /** The device's OPRF secret key, sealed (section 4a), stored with the device in one transaction. */
      sealedPinKey?: string;
    },
    now: number,
  ): Promise<RedeemOutcome> {
    return this.db.transaction().execute(async (trx) => {
      const offer = await trx.selectFrom('pairing_offers').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirst();
      if (!offer) return { ok: false, code: 'invalid_request' } as const;
      if (offer.used_at !== null) return { ok: false, code: 'pairing_used' } as const;
      if (now >= offer.expires_at) return { ok: false, code: 'pairing_expired' } as const;
      const claimed = await trx
        .updateTable('pairing_offers')
        .set({ used_at: now })
        .where('token_hash', '=', offer.token_hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return { ok: false, code: 'pairing_used' } as const;
      const row = await trx
        .insertInto('devices')
        .values({
          id: device.id ?? randomId(),
          user_id: offer.user_id,
          name: device.name,
          public_key: device.publicKey,
          connect_public_key: device.connectPublicKey,
          created_at: now,
          last_used_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (device.sealedPinKey !== undefined) {
        await trx
          .insertInto('device_pin_keys')
          .values({ device_id: row.id, sealed_key: device.sealedPinKey, created_at: now, locked_at: null })
          .execute();
      }
      return { ok: true, device: row } as const;
    });
  }
}
