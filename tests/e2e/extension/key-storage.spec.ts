import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { fromBase64Url, publicKeyOf, randomBytes, toBase64Url, verifyStatementWithNoble } from '../../../protocol/index.ts';
import { approvalKeyLabel } from '../../../extension/lib/key-wrap.ts';
import { SigninClient } from '../../../testing/admin-client.ts';
import { DEFAULT_PIN, expect, test } from '../../../testing/playwright-fixture.ts';
import { accountsOf, cryptoKeysIn, lockOf, type StoredAccount, type StoredLock } from './stored-records.ts';

// The service worker's own global, as seen inside worker.evaluate().
declare const chrome: {
  storage: { session: { get(keys: null): Promise<Record<string, unknown>> }; local: { get(keys: null): Promise<Record<string, unknown>> } };
};

/**
 * Issue 9: what the extension keeps of an account's keys after pairing under protocol revision 2,
 * read from its own IndexedDB and profile folder, with no test hook in the extension.
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
    // Besides it, only the wrapped approval key: {iv, ciphertext}, nothing else.
    for (const account of accounts) {
      expect(Object.keys(account.wrappedKey).sort()).toEqual(['ciphertext', 'iv']);
      expect(account.publicKey).not.toBe(account.connectPublicKey);
    }
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
    const scalar = await unwrapApprovalKey(account!, lockOf(dump), DEFAULT_PIN);
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
        encodings(fromBase64Url(account!.wrappedKey.ciphertext)).filter((e) => e.name === 'base64url'),
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

/** Unwraps the stored approval key as the extension would, but in Node: PBKDF2 with the lock's salt and iterations, then AES-GCM. */
async function unwrapApprovalKey(account: StoredAccount, lock: StoredLock, pin: string): Promise<Uint8Array> {
  const subtle = webcrypto.subtle;
  const material = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: fromBase64Url(lock.salt), iterations: lock.iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
  const plain = await subtle.decrypt(
    {
      name: 'AES-GCM',
      iv: fromBase64Url(account.wrappedKey.iv),
      additionalData: new TextEncoder().encode(approvalKeyLabel(account.publicKey)),
    },
    key,
    fromBase64Url(account.wrappedKey.ciphertext),
  );
  return new Uint8Array(plain);
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
