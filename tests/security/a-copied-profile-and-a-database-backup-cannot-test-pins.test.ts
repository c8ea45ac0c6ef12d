import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, utf8 } from '../../protocol/encoding.ts';
import { blindPin, evaluateBlindedPin, finishPin, pinWrapInfo, pinWrappingKey, unwrapWithPinKey } from '../../protocol/pin-oprf.ts';
import { PIN_KEY_FILE_NAME } from '../../relay-server/pin/pin-sealing-key.ts';
import { pairKeys, TEST_PIN, type PairedKeys } from '../integration/helpers/paired-keys.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Issue 17's offline attack: with a copied profile and the right PIN, revision 2 let anyone derive
 * the wrapping key (PBKDF2 over the PIN) and test guesses against a check value. Now the profile
 * holds only the approval key wrapped under a key from the relay's OPRF evaluation; without the
 * relay no derivation from the PIN opens it. The relay's OPRF key is sealed at rest with a key
 * outside the database, so a database backup adds nothing: its bytes evaluate to nothing useful.
 */

/** AES-256-GCM keys a PIN alone could give, by every derivation revision 2 or a guesser might try. */
async function keysFromPinAlone(pin: string, deviceId: string, origin: string): Promise<CryptoKey[]> {
  const aes = (raw: Uint8Array) => crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['decrypt']);
  const pbkdf2 = async (salt: Uint8Array, iterations: number) => {
    const material = await crypto.subtle.importKey('raw', utf8(pin), 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations }, material, 256),
    );
  };
  const keys: CryptoKey[] = [];
  for (const salt of [fromBase64Url(deviceId), utf8(deviceId), new Uint8Array(16)]) {
    for (const iterations of [600_000, 1]) keys.push(await aes(await pbkdf2(salt, iterations)));
  }
  keys.push(await aes(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(pin)))));
  // The section 4a HKDF, fed the PIN (or a hash of it) instead of the OPRF output.
  keys.push(await pinWrappingKey({ output: utf8(pin), deviceId, relayOrigin: origin }));
  keys.push(
    await pinWrappingKey({
      output: new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(pin))),
      deviceId,
      relayOrigin: origin,
    }),
  );
  // An OPRF "evaluation" made without the relay: key 1 (evaluated = blinded).
  const pending = blindPin(pin);
  keys.push(await pinWrappingKey({ output: finishPin(pin, pending, pending.blinded), deviceId, relayOrigin: origin }));
  return keys;
}

async function opens(keys: CryptoKey[], profile: PairedKeys): Promise<boolean> {
  for (const key of keys) if (await unwrapWithPinKey(key, profile.wrapped, profile.deviceId)) return true;
  return false;
}

describe('a copied profile with the right PIN, but no relay', () => {
  it('derives no key that opens the approval key, and holds no check value', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const profile = await pairKeys(relay, user.upn);
    // What the device stores for the PIN: a nonce and a ciphertext with its tag, nothing else.
    expect(Object.keys(profile.wrapped).sort()).toEqual(['ciphertext', 'iv']);
    expect(fromBase64Url(profile.wrapped.ciphertext)).toHaveLength(32 + 16);
    expect(await opens(await keysFromPinAlone(TEST_PIN, profile.deviceId, relay.origin), profile)).toBe(false);
    expect(pinWrapInfo(relay.origin)).toContain(relay.origin);
  });

  it('plus a backup of the database still derives nothing: the OPRF key there is sealed, not raw', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const profile = await pairKeys(relay, user.upn);
    const row = await relay.running.relay.store.db
      .selectFrom('device_pin_keys')
      .selectAll()
      .where('device_id', '=', profile.deviceId)
      .executeTakeFirstOrThrow();
    const sealed = row.sealed_key;
    const bytes = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
    // Every 32-byte window of the stored value, taken as the OPRF key, evaluates the PIN to
    // something that does not open the profile.
    const pending = blindPin(TEST_PIN);
    const candidates: CryptoKey[] = [];
    for (let offset = 0; offset + 32 <= bytes.length; offset++) {
      let evaluated: string;
      try {
        evaluated = evaluateBlindedPin(new Uint8Array(bytes.subarray(offset, offset + 32)), pending.blinded);
      } catch {
        continue; // not even a scalar
      }
      const copy = { blind: pending.blind.slice(), blinded: pending.blinded };
      candidates.push(
        await pinWrappingKey({ output: finishPin(TEST_PIN, copy, evaluated), deviceId: profile.deviceId, relayOrigin: relay.origin }),
      );
    }
    expect(candidates.length).toBeGreaterThan(0);
    expect(await opens(candidates, profile)).toBe(false);
    // The sealing key is a 0600 file beside the database, not in it.
    const keyFile = path.join(relay.running.dataDir, PIN_KEY_FILE_NAME);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const sealingKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64url');
    const file = path.join(relay.running.dataDir, 'countersign.db');
    const database = Buffer.concat([readFileSync(file), ...(existsSync(`${file}-wal`) ? [readFileSync(`${file}-wal`)] : [])]);
    expect(database.includes(sealingKey)).toBe(false);
    expect(database.includes(Buffer.from(sealingKey.toString('base64url')))).toBe(false);
  });
});
