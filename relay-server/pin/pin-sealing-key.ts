import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { ensurePrivateDir, makePrivate } from '../store/private-files.ts';
import type { Database } from '../store/schema.ts';

/**
 * The key that seals every device's OPRF secret key at rest (docs/protocol.md section 4a). It is
 * never in the database: a database backup plus a stolen profile must not be enough to test PINs
 * (with the OPRF key, the evaluation could be run offline). Where it comes from, first match:
 * PIN_KEY (32 bytes, base64url/base64 or 64 hex digits), PIN_KEY_FILE (a file holding the same),
 * or `DATA_DIR/pin-key`, made 0600 at first start. Instances sharing a database must share it.
 */

export const PIN_KEY_FILE_NAME = 'pin-key';

/** 32 bytes from a written form: 64 hex digits, or base64url/base64 (padding allowed). */
export function parsePinKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9_+/-]{43}=?$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
  return bytes.length === 32 ? bytes : undefined;
}

/** `DATA_DIR/pin-key`, made with 32 random bytes (0600) when missing; ':memory:' gets a key for this process only. */
export function readOrCreatePinKeyFile(dataDir: string): Buffer {
  if (dataDir === ':memory:') return randomBytes(32);
  const file = path.join(dataDir, PIN_KEY_FILE_NAME);
  if (existsSync(file)) {
    makePrivate(file);
    const key = parsePinKey(readFileSync(file, 'utf8'));
    if (!key) throw new Error(`${file} does not hold a 32-byte key (base64url or 64 hex digits)`);
    return key;
  }
  ensurePrivateDir(dataDir);
  const key = randomBytes(32);
  // `wx`: two instances starting on one DATA_DIR never both write a key.
  writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/** Seals and opens OPRF secret keys: AES-256-GCM, random 12-byte nonce, AAD = the device id. */
export class PinSealingKey {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the PIN sealing key must be 32 bytes');
  }

  /** `v1.` + base64url(nonce ‖ ciphertext ‖ tag). */
  seal(secretKey: Uint8Array, deviceId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(deviceId, 'utf8'));
    const body = Buffer.concat([cipher.update(secretKey), cipher.final(), cipher.getAuthTag()]);
    return `v1.${Buffer.concat([iv, body]).toString('base64url')}`;
  }

  /** Throws when the sealed value was not made by this key for this device. */
  open(sealed: string, deviceId: string): Uint8Array {
    if (!sealed.startsWith('v1.')) throw new Error('unknown sealed key format');
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    if (bytes.length < 12 + 16 + 1) throw new Error('sealed key too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(deviceId, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]));
  }

  /** Names the key without revealing it (an HMAC of a fixed label), so instances can check they agree. */
  fingerprint(): string {
    return createHmac('sha256', this.key).update('countersign/v1/pin-sealing-key-id').digest('base64url');
  }
}

export class PinKeyMismatch extends Error {}

/**
 * Records the key's fingerprint in the database the first time, and refuses to go on when this
 * instance holds another key: its devices' OPRF keys would not open, and every PIN unlock would
 * fail. Fails at start, naming the fix, rather than at the first approval.
 */
export async function checkPinSealingKey(db: Kysely<Database>, key: PinSealingKey): Promise<void> {
  const fingerprint = key.fingerprint();
  await db
    .insertInto('relay_secrets')
    .values({ name: 'pin-sealing-key-id', value: fingerprint })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('relay_secrets').select('value').where('name', '=', 'pin-sealing-key-id').executeTakeFirstOrThrow();
  if (row.value !== fingerprint) {
    throw new PinKeyMismatch(
      'This database was set up with another PIN key: set PIN_KEY or PIN_KEY_FILE to the key the other instances use ' +
        '(or restore DATA_DIR/pin-key). Without it no PIN on this relay can be unlocked.',
    );
  }
}
