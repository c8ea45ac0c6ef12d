import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, randomId, toBase64Url } from '../../../protocol/index.ts';
import { DeviceStore, type DeviceAccount } from '../../../testing/device-store.ts';

function anAccount(upn: string, relayOrigin = 'http://127.0.0.1:8787'): DeviceAccount {
  const keys = generateDeviceKeyPair();
  return {
    relayOrigin,
    upn,
    displayName: `${upn} name`,
    deviceId: randomId(),
    publicKey: keys.publicKey,
    secretKey: toBase64Url(keys.secretKey),
  };
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
    const broken = { ...anAccount('alice@demo.test'), secretKey: 'short' };
    await writeFile(join(directory, 'broken.json'), JSON.stringify({ version: 1, accounts: [broken] }));
    await expect(DeviceStore.open(join(directory, 'broken.json'))).rejects.toThrow(/accounts\.0\.secretKey/);
  });

  it('refuses an account whose relay origin has a path', async () => {
    const store = await DeviceStore.open();
    await expect(store.add({ ...anAccount('alice@demo.test'), relayOrigin: 'http://127.0.0.1:8787/' })).rejects.toThrow();
  });

  it('stores the secret key as base64url text, not as bytes', async () => {
    const store = await DeviceStore.open(keysPath);
    const alice = anAccount('alice@demo.test');
    await store.add(alice);
    const file = JSON.parse(await readFile(keysPath, 'utf8')) as { accounts: Array<{ secretKey: string }> };
    expect(file.accounts[0]?.secretKey).toBe(alice.secretKey);
  });
});
