import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { fromBase64Url, publicKeyOf, randomBytes, toBase64Url, verifyStatementWithNoble } from '../../../protocol/index.ts';
import { blindPin, evaluateBlindedPin, finishPin, pinWrapInfo, pinWrappingKey, unwrapWithPinKey } from '../../../protocol/pin-oprf.ts';
import { approvalKeyLabel } from '../../../extension/lib/key-wrap.ts';
import { PinSealingKey, readOrCreatePinKeyFile } from '../../../relay-server/pin/pin-sealing-key.ts';
import { SigninClient } from '../../../testing/admin-client.ts';
import { DEFAULT_PIN, expect, test } from '../../../testing/playwright-fixture.ts';
import type { RunningRelay } from '../../../testing/start-relay.ts';
import { accountsOf, cryptoKeysIn, settingsOf, type StoredAccount } from './stored-records.ts';

// The service worker's own global, as seen inside worker.evaluate().
declare const chrome: {
  storage: { session: { get(keys: null): Promise<Record<string, unknown>> }; local: { get(keys: null): Promise<Record<string, unknown>> } };
};

/**
 * Issues 9 and 17: what the extension keeps of an account's keys after pairing under protocol
 * revision 3, read from its own IndexedDB and profile folder, with no test hook in the extension.
 * Section 4a: the approval key is stored only under a key that the relay's OPRF evaluation of the
 * PIN gives, so nothing in the profile lets a PIN guess be tested without the relay.
 */

test.describe('what the extension stores of its keys', () => {
  test('every stored CryptoKey is non-extractable and is the connect key', async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
    await authenticator.pairUser(relay, 'bob@demo.test');

    // Each stored key signs these bytes inside the worker; the signature shows whose public key it is.
    const message = randomBytes(32);
    const dump = await authenticator.readDatabase({ sign: toBase64Url(message) });
    const accounts = accountsOf(dump);
    expect(accounts.map((account) => [account.upn, account.status]).sort()).toEqual([
      ['alice@demo.test', 'active'],
      ['bob@demo.test', 'active'],
    ]);

    const keys = Object.entries(dump).flatMap(([store, records]) =>
      records.flatMap((record, index) => cryptoKeysIn(record).map((found) => ({ store, index, ...found }))),
    );
    expect(keys.map(({ store, path: at }) => `${store}${at}`)).toEqual(['accounts.connectKey', 'accounts.connectKey']);
    for (const { index, key } of keys) {
      const account = accounts[index]!;
      expect(key).toMatchObject({
        type: 'private',
        extractable: false,
        usages: ['sign'],
        algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
      });
      expect(verifyStatementWithNoble(message, key.signature!, account.connectPublicKey)).toBe(true);
      expect(verifyStatementWithNoble(message, key.signature!, account.publicKey)).toBe(false);
    }
    // Besides it, only the approval key wrapped under section 4a's key: {iv, ciphertext}, nothing else.
    for (const account of accounts) {
      expect(Object.keys(account.pinWrap ?? {}).sort()).toEqual(['ciphertext', 'iv']);
      expect(account.wrappedKey).toBeUndefined();
      expect(account.publicKey).not.toBe(account.connectPublicKey);
    }
  });

  test('nothing stored tests a PIN: no lock, no check value, and no key made from the PIN alone opens the wrap', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin(DEFAULT_PIN);
    await authenticator.pairUser(relay, 'alice@demo.test');
    const dump = await authenticator.readDatabase();
    const [account] = accountsOf(dump);
    const wrap = account!.pinWrap!;

    // Revision 2 kept a PBKDF2 salt, its iterations and a check value under the PIN key: all gone.
    expect(Object.keys(settingsOf(dump))).not.toContain('lock');
    expect(Object.keys(settingsOf(dump))).not.toContain('pinAttempts');
    expect(JSON.stringify(dump)).not.toMatch(/"(check|salt|iterations)"/);
    expect(stringsIn(dump)).not.toContain(DEFAULT_PIN);

    // What an attacker holding the profile and the right PIN, but not the relay, could derive.
    const candidates = await keysFromThePinAlone(DEFAULT_PIN, account!, relay.origin, stringsIn(dump));
    expect(candidates.length).toBeGreaterThanOrEqual(8);
    for (const { name, key } of candidates) {
      for (const aad of [account!.deviceId, approvalKeyLabel(account!.publicKey)]) {
        expect(await opens(key, wrap, aad), `${name} with associated data ${aad}`).toBe(false);
      }
    }

    // The trial is sound: the key of the relay's own evaluation of that PIN opens the same wrap.
    const scalar = await openWithTheRelay(relay, account!, DEFAULT_PIN);
    expect(publicKeyOf(scalar)).toBe(account!.publicKey);
  });

  test('the approval key is never written unwrapped, not even after an approval', async ({ context, relay, authenticator }) => {
    await authenticator.setPin(DEFAULT_PIN);
    await authenticator.pairUser(relay, 'alice@demo.test');
    // One approval unwraps the key in memory, signs and wipes it.
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.approveNext({ number: signin.number });
    expect(await window.outcome()).toBe('approved');

    const dump = await authenticator.readDatabase();
    const [account] = accountsOf(dump);
    const scalar = await openWithTheRelay(relay, account!, DEFAULT_PIN);
    expect(scalar).toHaveLength(32);
    expect(publicKeyOf(scalar)).toBe(account!.publicKey);

    // Closing the browser flushes everything it keeps; then every file of the profile is searched.
    const profile = authenticator.profileDir!;
    await context.close();
    const files = filesUnder(profile);
    expect(files.length).toBeGreaterThan(10);
    // The search does reach the database: the wrapped key's ciphertext is found in it.
    expect(
      filesContaining(
        files,
        encodings(fromBase64Url(account!.pinWrap!.ciphertext)).filter((e) => e.name === 'base64url'),
      ),
    ).not.toEqual([]);
    expect(filesContaining(files, encodings(scalar))).toEqual([]);
  });

  test('"Remember my PIN" stays in the worker\'s memory: nothing in any storage, gone when the worker stops', async ({
    relay,
    authenticator,
  }) => {
    await authenticator.setPin(DEFAULT_PIN);
    await authenticator.pairUser(relay, 'alice@demo.test');
    const signins = new SigninClient(relay.origin);

    const first = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();
    await window.decide('approve', { number: first.number, pin: DEFAULT_PIN, remember: true });
    expect(await window.outcome()).toBe('approved');

    const worker = await authenticator.serviceWorker();
    const stored = await worker.evaluate(async () =>
      JSON.stringify([await chrome.storage.session.get(null), await chrome.storage.local.get(null)]),
    );
    expect(stored).not.toContain(JSON.stringify(DEFAULT_PIN));
    expect(stored).not.toMatch(/pin/i);
    expect(JSON.stringify(await authenticator.readDatabase())).not.toContain(JSON.stringify(DEFAULT_PIN));

    // Within the 5 minutes the next approval needs no PIN…
    const second = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const next = await authenticator.nextApproval();
    await expect(next.page.getByTestId('pin-remembered')).toBeVisible();
    await next.decide('approve', { number: second.number });
    expect(await next.outcome()).toBe('approved');

    // …but a worker that stopped has forgotten it.
    await authenticator.stopServiceWorker();
    await (await authenticator.openPopup()).page.close(); // wakes the worker
    const third = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const asked = await authenticator.nextApproval({ timeout: 45_000 });
    await expect(asked.pinInput).toBeVisible();
    await asked.decide('approve', { number: third.number, pin: DEFAULT_PIN });
    expect(await asked.outcome()).toBe('approved');
  });
});

/**
 * The approval key opened as only the relay can help open it: the device's OPRF key, unsealed
 * with the relay's sealing key (its data folder's pin-key), evaluates the PIN; section 4a's
 * HKDF of the output unwraps. A test's control that the wrap really is the approval key.
 */
async function openWithTheRelay(relay: RunningRelay, account: StoredAccount, pin: string): Promise<Uint8Array> {
  const row = await relay.relay.store.db
    .selectFrom('device_pin_keys')
    .select('sealed_key')
    .where('device_id', '=', account.deviceId)
    .executeTakeFirstOrThrow();
  const oprfKey = new PinSealingKey(readOrCreatePinKeyFile(relay.dataDir)).open(row.sealed_key, account.deviceId);
  const pending = blindPin(pin);
  const output = finishPin(pin, pending, evaluateBlindedPin(oprfKey, pending.blinded));
  const key = await pinWrappingKey({ output, deviceId: account.deviceId, relayOrigin: relay.origin });
  const scalar = await unwrapWithPinKey(key, account.pinWrap!, account.deviceId);
  if (!scalar) throw new Error("the relay's evaluation did not open the wrap");
  return scalar;
}

/**
 * Keys an attacker could make from the PIN and the profile without the relay: revision 2's
 * PBKDF2-SHA-256 at 600,000 iterations over every salt-sized value stored (and the deviceId and
 * an empty salt), section 4a's HKDF taken over the PIN itself instead of the OPRF output, and a
 * plain hash of the PIN.
 */
async function keysFromThePinAlone(
  pin: string,
  account: StoredAccount,
  relayOrigin: string,
  stored: string[],
): Promise<Array<{ name: string; key: CryptoKey }>> {
  const subtle = webcrypto.subtle;
  const pinBytes = new TextEncoder().encode(pin);
  const aes = { name: 'AES-GCM', length: 256 } as const;
  const salts = new Map<string, Uint8Array>([
    ['no salt', new Uint8Array()],
    ['deviceId', fromBase64Url(account.deviceId)],
  ]);
  for (const text of stored) {
    if (/^[A-Za-z0-9_-]{22}$/.test(text)) salts.set(`stored ${text}`, fromBase64Url(text));
  }
  const keys: Array<{ name: string; key: CryptoKey }> = [];
  const pbkdf2 = await subtle.importKey('raw', pinBytes, 'PBKDF2', false, ['deriveKey']);
  for (const [name, salt] of salts) {
    keys.push({
      name: `PBKDF2-SHA-256 600k, salt ${name}`,
      key: await subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600_000 }, pbkdf2, aes, false, ['decrypt']),
    });
  }
  const hkdf = await subtle.importKey('raw', pinBytes, 'HKDF', false, ['deriveKey']);
  const info = new TextEncoder().encode(pinWrapInfo(relayOrigin));
  for (const [name, salt, withInfo] of [
    ['section 4a salt and info', fromBase64Url(account.deviceId), info],
    ['no salt, section 4a info', new Uint8Array(), info],
    ['no salt, no info', new Uint8Array(), new Uint8Array()],
  ] as const) {
    keys.push({
      name: `HKDF-SHA-256 of the PIN, ${name}`,
      key: await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: withInfo }, hkdf, aes, false, ['decrypt']),
    });
  }
  keys.push({
    name: 'SHA-256 of the PIN',
    key: await subtle.importKey('raw', await subtle.digest('SHA-256', pinBytes), 'AES-GCM', false, ['decrypt']),
  });
  return keys;
}

async function opens(key: CryptoKey, wrap: { iv: string; ciphertext: string }, aad: string): Promise<boolean> {
  try {
    await webcrypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(wrap.iv), additionalData: new TextEncoder().encode(aad) },
      key,
      fromBase64Url(wrap.ciphertext),
    );
    return true;
  } catch {
    return false;
  }
}

/** Every string in a stored value, however deep. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsIn);
}

/** The ways a program could write these bytes: raw, hex (both cases), base64 (padded or not), base64url; text also as UTF-16. */
function encodings(bytes: Uint8Array): Array<{ name: string; needle: Buffer }> {
  const raw = Buffer.from(bytes);
  const texts = {
    hex: raw.toString('hex'),
    HEX: raw.toString('hex').toUpperCase(),
    base64: raw.toString('base64'),
    base64unpadded: raw.toString('base64').replace(/=+$/, ''),
    base64url: raw.toString('base64url'),
  };
  return [
    { name: 'raw', needle: raw },
    ...Object.entries(texts).flatMap(([name, text]) => [
      { name, needle: Buffer.from(text, 'latin1') },
      { name: `${name} (UTF-16)`, needle: Buffer.from(text, 'utf16le') },
    ]),
  ];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() && statSync(full).size > 0 ? [full] : [];
  });
}

function filesContaining(files: string[], needles: Array<{ name: string; needle: Buffer }>): string[] {
  return files.flatMap((file) => {
    const content = readFileSync(file);
    return needles.filter(({ needle }) => content.includes(needle)).map(({ name }) => `${file} (${name})`);
  });
}
