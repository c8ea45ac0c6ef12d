import { describe, expect, it } from 'vitest';
import {
  REDEEM_PAIRING_PATH,
  RedeemPairingBody,
  buildPairingLink,
  deviceActionStatement,
  fromBase64Url,
  parse,
  randomId,
  utf8,
  verifyStatementWithNoble,
  type PairingLink,
} from '../../../protocol/index.ts';
import { readRedeemAnswer } from '../../../protocol/device/index.ts';
import type { PinChannel } from '../../../protocol/device/pin-unlock.ts';
import { evaluateBlindedPin, newOprfSecretKey } from '../../../protocol/pin-oprf.ts';
import { unwrapWithPinKey } from '../../../protocol/pin-wrap.ts';
import { isActiveAccount, type Db } from '../../../extension/lib/db.ts';
import { legacyPinKey } from '../../../extension/lib/legacy-pin-lock.ts';
import { pairAccount, type PairAccountInput } from '../../../extension/lib/pair-account.ts';
import { freshDb } from './helpers.ts';

/**
 * Pairing and the key storage of revision 3 (section 4a): the approval key is stored wrapped
 * under a key only the relay's OPRF evaluation of the PIN gives, and nothing stored lets a PIN
 * guess be tested without the relay.
 */

const RELAY = 'http://127.0.0.1:8787';
const PIN = '246810';
const offer: PairingLink = { relayOrigin: RELAY, token: randomId(), upn: 'alice@demo.test' };
const link = buildPairingLink(offer);

/** A relay in miniature: redeem with a per-device OPRF key, `unlock` on a socket, proofs checked. */
function fakeRelay() {
  const keys = new Map<string, Uint8Array>();
  const publicKeys = new Map<string, string>();
  const proofs: string[] = [];
  const nonce = 'c29ja2V0LW5vbmNlLW9uZQ';
  return {
    proofs,
    keys,
    post: async (_url: string, body: unknown) => {
      const parsed = parse(RedeemPairingBody, body);
      if (!parsed.ok) return { status: 400, body: { error: { code: 'invalid_request', message: parsed.message } } };
      const deviceId = randomId();
      const key = newOprfSecretKey();
      keys.set(deviceId, key);
      publicKeys.set(deviceId, parsed.value.publicKey);
      return {
        status: 201,
        body: {
          deviceId,
          account: { userId: randomId(), upn: 'alice@demo.test', displayName: 'Alice Example' },
          relay: { origin: RELAY, name: 'Demo relay' },
          pinEvaluated: evaluateBlindedPin(key, parsed.value.pinBlinded),
        },
      };
    },
    channel: (): PinChannel => ({
      relayOrigin: RELAY,
      unlock: async (deviceId, blinded) => ({
        answer: { ok: true, evaluated: evaluateBlindedPin(keys.get(deviceId)!, blinded), attemptsLeft: 9 },
        nonce,
      }),
      rekey: async () => ({ answer: { ok: false, code: 'unsupported', message: '' }, nonce: null }),
      sendOn: async (on, frame) => {
        if (frame.type !== 'unlock_proof' || on !== nonce) return false;
        const statement = deviceActionStatement({
          relayOrigin: RELAY,
          nonce,
          deviceId: frame.deviceId,
          action: 'unlock-proof',
          detail: frame.blinded,
        });
        expect(verifyStatementWithNoble(statement, frame.signature, publicKeys.get(frame.deviceId)!)).toBe(true);
        proofs.push(frame.deviceId);
        return true;
      },
    }),
  };
}

/** The worker's redeem, over a POST function (the worker checks the answer with the protocol's schema). */
function redeemVia(post: (url: string, body: unknown) => Promise<{ status: number; body: unknown }>): PairAccountInput['redeem'] {
  return async (relayOrigin, body) => {
    const answer = await post(`${relayOrigin}${REDEEM_PAIRING_PATH}`, body);
    return readRedeemAnswer(answer.status, answer.body);
  };
}

function input(db: Db, relay: ReturnType<typeof fakeRelay>, overrides: Partial<PairAccountInput> = {}): PairAccountInput {
  return {
    link,
    pin: PIN,
    deviceName: 'Chromium on Linux',
    checkPin: async () => ({ ok: true }),
    redeem: redeemVia(relay.post),
    store: async (account) => {
      await db.put('accounts', account);
      return true;
    },
    accountAdded: async () => ({ ok: true }),
    channel: relay.channel,
    confirmed: async (deviceId) => {
      const account = await db.get('accounts', deviceId);
      if (isActiveAccount(account)) await db.put('accounts', { ...account, unconfirmed: false });
    },
    failed: async (deviceId) => db.delete('accounts', deviceId),
    now: Date.now,
    ...overrides,
  };
}

/** Every string in a stored value, however deep. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null || value instanceof CryptoKey) return [];
  return Object.values(value).flatMap(stringsIn);
}

describe('pairAccount() and the stored keys (revision 3)', () => {
  it('stores the approval key only under the key of the relay evaluation, with no check value and no PIN-derived key', async () => {
    const db = await freshDb();
    const relay = fakeRelay();
    const result = await pairAccount(input(db, relay));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { deviceId } = result.account;

    const [accounts, settings] = await Promise.all([db.getAll('accounts'), db.getAll('settings')]);
    expect(accounts).toHaveLength(1);
    const stored = accounts[0]!;
    if (!isActiveAccount(stored)) throw new Error('not active');
    expect(stored.pinWrap).toBeDefined();
    expect(stored.wrappedKey).toBeUndefined();
    // No lock, no check value, no attempts counter: the settings store holds nothing about the PIN.
    expect(settings).toEqual([]);
    // The record's strings: ids, names, public keys, and the wrap. The PIN appears nowhere.
    expect(stringsIn(stored).some((text) => text.includes(PIN))).toBe(false);
    expect(Object.keys(stored).sort()).toEqual(
      [
        'connectKey',
        'connectPublicKey',
        'createdAt',
        'deviceId',
        'deviceName',
        'displayName',
        'pinWrap',
        'publicKey',
        'relayName',
        'relayOrigin',
        'status',
        'unconfirmed',
        'upn',
        'userId',
      ].sort(),
    );

    // Keys from the PIN alone open nothing: revision 2's PBKDF2 (with any salt the profile could
    // hold), and a plain HKDF of the PIN the way section 4a uses the OPRF output.
    for (const salt of [stored.deviceId, 'c2FsdHNhbHRzYWx0c2FsdA']) {
      const pbkdf2 = await legacyPinKey(PIN, { salt, iterations: 1_000 });
      expect(await unwrapWithPinKey(pbkdf2, stored.pinWrap!, deviceId)).toBeNull();
    }
    const material = await crypto.subtle.importKey('raw', utf8(PIN), 'HKDF', false, ['deriveKey']);
    const hkdf = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: fromBase64Url(deviceId), info: utf8(`countersign/v1/pin-wrap\n${RELAY}`) },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['decrypt'],
    );
    expect(await unwrapWithPinKey(hkdf, stored.pinWrap!, deviceId)).toBeNull();
  });

  it('confirms the new wrap with an unlock and its proof before the pairing counts', async () => {
    const db = await freshDb();
    const relay = fakeRelay();
    const seen: string[] = [];
    const result = await pairAccount(input(db, relay, { confirmed: async (deviceId) => void seen.push(deviceId) }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(relay.proofs).toEqual([result.account.deviceId]);
    expect(seen).toEqual([result.account.deviceId]);
  });

  it('drops the new account when its wrap cannot be confirmed', async () => {
    const db = await freshDb();
    const relay = fakeRelay();
    const channel = (): PinChannel => ({ ...relay.channel(), sendOn: async () => false });
    const result = await pairAccount(input(db, relay, { channel }));
    expect(result).toMatchObject({ ok: false, code: 'pairing_unconfirmed' });
    expect(await db.getAll('accounts')).toEqual([]);
  });

  it('asks nothing of the relay when the PIN check fails, or the PIN is too short', async () => {
    const db = await freshDb();
    const relay = fakeRelay();
    let posted = 0;
    const post = async (url: string, body: unknown) => {
      posted++;
      return relay.post(url, body);
    };
    expect(
      await pairAccount(
        input(db, relay, { redeem: redeemVia(post), checkPin: async () => ({ ok: false, code: 'wrong_pin', attemptsLeft: 7 }) }),
      ),
    ).toEqual({
      ok: false,
      code: 'wrong_pin',
      attemptsLeft: 7,
    });
    expect(await pairAccount(input(db, relay, { redeem: redeemVia(post), pin: '12345' }))).toEqual({ ok: false, code: 'invalid_pin' });
    expect(await pairAccount(input(db, relay, { redeem: redeemVia(post), link: 'http://relay.example/pair#v=1' }))).toMatchObject({
      ok: false,
    });
    expect(posted).toBe(0);
    expect(await db.getAll('accounts')).toEqual([]);
  });

  it('sends the PIN only blinded', async () => {
    const db = await freshDb();
    const relay = fakeRelay();
    const bodies: unknown[] = [];
    await pairAccount(input(db, relay, { redeem: redeemVia(async (url, body) => (bodies.push(body), relay.post(url, body))) }));
    expect(JSON.stringify(bodies)).not.toContain(PIN);
    expect((bodies[0] as { pinBlinded: string }).pinBlinded).toMatch(/^[A-Za-z0-9_-]{44}$/);
  });
});
