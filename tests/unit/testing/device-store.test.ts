import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, randomId, toBase64Url } from '../../../protocol/index.ts';
import { DeviceStore, DeviceStoreError, KEY_FILE_VERSION, type DeviceAccount } from '../../../testing/device-store.ts';

const wrappedBytes = () => ({ iv: toBase64Url(randomBytes(12)), ciphertext: toBase64Url(randomBytes(48)) });

function anAccount(upn: string, relayOrigin = 'http://127.0.0.1:8787'): DeviceAccount {
  const approval = generateDeviceKeyPair();
  const connect = generateDeviceKeyPair();
  return {
    relayOrigin,
    upn,
    displayName: `${upn} name`,
    deviceId: randomId(),
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    connectKey: toBase64Url(connect.secretKey),
    pinWrapped: wrappedBytes(),
    webauthnWrapped: wrappedBytes(),
  };
}

/** An account as protocol revision 2 wrote it: both secrets raw. */
function revisionTwoAccount(upn: string) {
  const approval = generateDeviceKeyPair();
  const connect = generateDeviceKeyPair();
  return {
    relayOrigin: 'http://127.0.0.1:8787',
    upn,
    displayName: upn,
    deviceId: randomId(),
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    approvalKey: toBase64Url(approval.secretKey),
    connectKey: toBase64Url(connect.secretKey),
  };
}

/** A key file as protocol revision 1 wrote it: one key per account. */
function revisionOneFile(upn: string) {
  const keys = generateDeviceKeyPair();
  const account = {
    relayOrigin: 'http://127.0.0.1:8787',
    upn,
    displayName: upn,
    deviceId: randomId(),
    publicKey: keys.publicKey,
    secretKey: toBase64Url(keys.secretKey),
  };
  return { version: 1, accounts: [account] };
}

describe('DeviceStore', () => {
  let directory: string;
  let keysPath: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'countersign-store-'));
    keysPath = join(directory, 'nested', 'keys.json');
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('opens an absent key file as an empty store', async () => {
    const store = await DeviceStore.open(keysPath);
    expect(store.list()).toEqual([]);
  });

  it('reads back every account it wrote, keys included', async () => {
    const alice = anAccount('alice@demo.test');
    const bob = anAccount('bob@demo.test', 'https://relay.example');
    const store = await DeviceStore.open(keysPath);
    await store.add(alice);
    await store.add(bob);

    const reopened = await DeviceStore.open(keysPath);
    expect(reopened.list()).toEqual([alice, bob]);
  });

  it('writes the key file readable by its owner only', async () => {
    const store = await DeviceStore.open(keysPath);
    await store.add(anAccount('alice@demo.test'));
    expect((await stat(keysPath)).mode & 0o777).toBe(0o600);
  });

  it('replaces the file by rename, leaving no temporary file behind', async () => {
    const store = await DeviceStore.open(keysPath);
    await Promise.all([store.add(anAccount('a@demo.test')), store.add(anAccount('b@demo.test'))]);
    expect(await readdir(join(directory, 'nested'))).toEqual(['keys.json']);
    expect((await DeviceStore.open(keysPath)).list()).toHaveLength(2);
  });

  it('forgets an account at once and on disk once the write settles', async () => {
    const alice = anAccount('alice@demo.test');
    const bob = anAccount('bob@demo.test');
    const store = await DeviceStore.open(keysPath);
    await store.add(alice);
    await store.add(bob);

    const removing = store.remove(alice.deviceId);
    expect(store.list()).toEqual([bob]);
    expect(await removing).toEqual(alice);
    expect((await DeviceStore.open(keysPath)).list()).toEqual([bob]);
  });

  it('answers undefined when asked to forget an account it does not hold', async () => {
    const store = await DeviceStore.open();
    expect(await store.remove(randomId())).toBeUndefined();
  });

  it('keeps an in-memory store off the disk', async () => {
    const store = await DeviceStore.open();
    await store.add(anAccount('alice@demo.test'));
    expect(store.path).toBeUndefined();
    expect(store.list()).toHaveLength(1);
  });

  it('refuses a key file whose accounts are malformed, naming the field', async () => {
    const broken = { ...anAccount('alice@demo.test'), connectKey: 'short' };
    await writeFile(join(directory, 'broken.json'), JSON.stringify({ version: 3, accounts: [broken] }));
    const opening = DeviceStore.open(join(directory, 'broken.json'));
    await expect(opening).rejects.toThrow(/accounts\.0\.connectKey/);
    await expect(opening).rejects.toMatchObject({ name: 'DeviceStoreError', code: 'invalid_key_file' });
  });

  it('refuses a revision 1 key file, naming its accounts and saying to pair them again', async () => {
    const path = join(directory, 'old.json');
    await writeFile(path, JSON.stringify(revisionOneFile('alice@demo.test')));

    const opening = DeviceStore.open(path);

    await expect(opening).rejects.toBeInstanceOf(DeviceStoreError);
    await expect(opening).rejects.toMatchObject({ code: 'outdated_key_file' });
    await expect(opening).rejects.toThrow(/protocol revision 1.*alice@demo\.test on http:\/\/127\.0\.0\.1:8787.*pair them again/is);
    // The file is left as it was, for whoever wants to look at it.
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1 });
  });

  it('refuses a file that is not JSON', async () => {
    await writeFile(join(directory, 'text.json'), 'not json');
    await expect(DeviceStore.open(join(directory, 'text.json'))).rejects.toMatchObject({ code: 'invalid_key_file' });
  });

  it.each([
    [
      'a revision 2 approval key that is not the secret of publicKey',
      { legacyApprovalKey: toBase64Url(generateDeviceKeyPair().secretKey) },
      'legacyApprovalKey',
    ],
    [
      'a connect key that is not the secret of connectPublicKey',
      { connectKey: toBase64Url(generateDeviceKeyPair().secretKey) },
      'connectKey',
    ],
  ])('refuses %s', async (_what, change, field) => {
    const store = await DeviceStore.open();
    await expect(store.add({ ...anAccount('alice@demo.test'), ...change })).rejects.toThrow(/is not the secret/);
    const path = join(directory, 'mismatch.json');
    await writeFile(path, JSON.stringify({ version: 3, accounts: [{ ...anAccount('alice@demo.test'), ...change }] }));
    await expect(DeviceStore.open(path)).rejects.toThrow(new RegExp(`accounts\\.0\\.${field}`));
  });

  it('refuses an account whose two public keys are the same', async () => {
    const account = anAccount('alice@demo.test');
    const store = await DeviceStore.open();
    await expect(store.add({ ...account, connectPublicKey: account.publicKey })).rejects.toThrow(/must differ/);
  });

  it('refuses an account that holds no approval key at all', async () => {
    const { pinWrapped: _gone, ...account } = anAccount('alice@demo.test');
    const store = await DeviceStore.open();
    await expect(store.add(account)).rejects.toThrow(/holds no approval key/);
  });

  it('reads a revision 2 file, keeping its raw approval key only for the upgrade, and writes version 3 back', async () => {
    const old = revisionTwoAccount('alice@demo.test');
    await writeFile(keysPath.replace('nested/', ''), JSON.stringify({ version: 2, accounts: [old] }));
    const store = await DeviceStore.open(keysPath.replace('nested/', ''));

    const { approvalKey, ...rest } = old;
    expect(store.list()).toEqual([{ ...rest, legacyApprovalKey: approvalKey }]);

    await store.add({ ...store.list()[0]!, legacyApprovalKey: undefined, pinWrapped: wrappedBytes() });
    const file = JSON.parse(await readFile(keysPath.replace('nested/', ''), 'utf8')) as { version: number; accounts: object[] };
    expect(file.version).toBe(3);
    expect(JSON.stringify(file)).not.toContain(approvalKey);
  });

  it('refuses an account whose relay origin has a path', async () => {
    const store = await DeviceStore.open();
    await expect(store.add({ ...anAccount('alice@demo.test'), relayOrigin: 'http://127.0.0.1:8787/' })).rejects.toThrow();
  });

  it('writes a version 3 file: the approval key only wrapped, the connect key as base64url text', async () => {
    const store = await DeviceStore.open(keysPath);
    const alice = anAccount('alice@demo.test');
    await store.add(alice);
    const file = JSON.parse(await readFile(keysPath, 'utf8')) as { version: number; accounts: DeviceAccount[] };
    expect(file.version).toBe(KEY_FILE_VERSION);
    expect(KEY_FILE_VERSION).toBe(3);
    expect(file.accounts[0]).toEqual(alice);
    expect(Object.keys(file.accounts[0]!).sort()).toEqual(
      [
        'connectKey',
        'connectPublicKey',
        'deviceId',
        'displayName',
        'pinWrapped',
        'publicKey',
        'relayOrigin',
        'upn',
        'webauthnWrapped',
      ].sort(),
    );
    expect(file.accounts[0]?.connectKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
