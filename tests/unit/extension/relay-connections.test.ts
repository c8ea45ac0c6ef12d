import { describe, expect, it } from 'vitest';
import { randomId } from '../../../protocol/index.ts';
import { RelayConnections } from '../../../extension/lib/relay-connections.ts';
import { activeAccounts, type Db } from '../../../extension/lib/db.ts';
import { MemorySockets, type RelayEnd } from '../protocol/device-core-suite.ts';
import { freshDb, makeAccount, testWrappingKey } from './helpers.ts';

const RELAY = 'http://127.0.0.1:8787';

async function setup() {
  const db = await freshDb();
  const pinKey = await testWrappingKey();
  const sockets = new MemorySockets();
  const connections = new RelayConnections({
    db: async () => db,
    createSocket: sockets.create,
    handleFrame: async () => 'ignored',
    changed: () => undefined,
    random: () => 0.5,
    now: () => Date.now(),
    log: () => undefined,
  });
  const add = async (upn: string) => {
    const { account } = await makeAccount(pinKey, { upn });
    await db.put('accounts', account);
    return account;
  };
  return { db, sockets, connections, add };
}

/** Plays the relay's side of hello → auth, and returns the deviceIds the extension offered. */
async function authenticate(relay: RelayEnd): Promise<string[]> {
  relay.send({ type: 'hello', nonce: randomId(), serverTime: Date.now() });
  const auth = (await relay.next()) as { credentials: Array<{ deviceId: string }> };
  return auth.credentials.map((credential) => credential.deviceId);
}

async function refusals(db: Db): Promise<Record<string, string | null>> {
  return Object.fromEntries((await activeAccounts(db)).map((account) => [account.upn, account.authError ?? null]));
}

describe('RelayConnections', () => {
  it('offers every account on a relay on one socket', async () => {
    const { sockets, connections, add } = await setup();
    const alice = await add('alice@demo.test');
    const bob = await add('bob@demo.test');
    await connections.sync();
    expect((await authenticate(await sockets.next())).sort()).toEqual([alice.deviceId, bob.deviceId].sort());
  });

  it('marks only the credential the relay rejects in ready, and stays connected for the others', async () => {
    const { db, sockets, connections, add } = await setup();
    const alice = await add('alice@demo.test');
    const bob = await add('bob@demo.test');
    await connections.sync();
    const relay = await sockets.next();
    await authenticate(relay);
    relay.send({ type: 'ready', accepted: [bob.deviceId], rejected: [{ deviceId: alice.deviceId, code: 'device_revoked' }] });
    await expect.poll(() => refusals(db)).toEqual({ 'alice@demo.test': 'device_revoked', 'bob@demo.test': null });
    expect(connections.state(RELAY)).toBe('connected');
  });

  it('after a 4403 close marks only the accounts that were on that socket, and connects one added since', async () => {
    const { db, sockets, connections, add } = await setup();
    await add('alice@demo.test');
    await connections.sync();
    const first = await sockets.next();
    await authenticate(first);
    // Bob is added while alice's socket is open, and the relay then revokes alice (her last credential there).
    const bob = await add('bob@demo.test');
    first.close(4403, 'all credentials revoked');
    await expect.poll(() => refusals(db)).toEqual({ 'alice@demo.test': 'closed_4403', 'bob@demo.test': null });
    expect(await authenticate(await sockets.next())).toEqual([bob.deviceId]);
  });

  it('does not bring back an account that a revoked frame removed while the socket closed', async () => {
    const { db, sockets, connections, add } = await setup();
    const alice = await add('alice@demo.test');
    await connections.sync();
    const relay = await sockets.next();
    await authenticate(relay);
    await db.delete('accounts', alice.deviceId);
    relay.close(4403, 'all credentials revoked');
    await expect.poll(() => connections.state(RELAY)).toBe('error');
    expect(await db.count('accounts')).toBe(0);
  });
});
