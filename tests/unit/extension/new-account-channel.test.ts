import { describe, expect, it } from 'vitest';
import { readNewAccount } from '../../../extension/lib/new-account-channel.ts';
import { redeemPairing } from '../../../extension/entrypoints/background/redeem-pairing.ts';

async function account() {
  const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  return {
    status: 'active' as const,
    deviceId: 'AAAAAAAAAAAAAAAAAAAAAA',
    relayOrigin: 'https://id.example.com',
    relayName: 'Example',
    userId: 'u1',
    upn: 'alice@example.com',
    displayName: 'Alice',
    deviceName: 'Chromium on Linux',
    publicKey: 'B'.repeat(87),
    connectPublicKey: 'C'.repeat(87),
    connectKey: privateKey,
    pinWrap: { iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AAAA' },
    createdAt: 1,
    unconfirmed: true,
  };
}

describe('the popup hands a new account to the worker (lib/new-account-channel.ts)', () => {
  it('takes a well-formed, unconfirmed account with a non-extractable connect key', async () => {
    const record = await account();
    expect(readNewAccount({ kind: 'store', account: record })).toBe(record);
  });

  it('refuses anything else, so a page cannot store an account that skips confirmation or exposes its key', async () => {
    const record = await account();
    const { privateKey: extractable } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const bad: unknown[] = [
      null,
      'store',
      { kind: 'stored', account: record },
      { kind: 'store', account: { ...record, unconfirmed: false } },
      { kind: 'store', account: { ...record, deviceId: '../../etc' } },
      { kind: 'store', account: { ...record, connectKey: extractable } },
      { kind: 'store', account: { ...record, connectKey: 'not a key' } },
      { kind: 'store', account: { ...record, pinWrap: undefined } },
      { kind: 'store', account: { ...record, wrappedKey: { iv: 'a', ciphertext: 'b' } } },
      { kind: 'store', account: { ...record, upn: 'x'.repeat(600) } },
    ];
    for (const message of bad) expect(readNewAccount(message)).toBeNull();
  });
});

describe('the worker redeems for the popup (background/redeem-pairing.ts)', () => {
  it('posts nothing to an http relay off loopback', async () => {
    const body = {} as Parameters<typeof redeemPairing>[1];
    expect(await redeemPairing('http://id.example.com', body)).toEqual({ ok: false, code: 'insecure_relay' });
  });
});
