import { describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, pairStatement, signStatement, toBase64Url, type DeviceKeyPair } from '../../../protocol/index.ts';
import { blindPin } from '../../../protocol/pin-oprf.ts';
import { startTestRelay, type TestRelay } from '../helpers/test-relay.ts';

const REDEEM = '/api/v1/pairings/redeem';

/**
 * A redeem body for this offer with a fresh approval key and connect key, signed by the approval
 * key over the pair statement, unless a test overrides a field.
 */
function redeemBody(
  origin: string,
  token: string,
  overrides: Record<string, unknown> = {},
  keys: { approval?: DeviceKeyPair; connect?: DeviceKeyPair; signer?: 'approval' | 'connect' } = {},
) {
  const approval = keys.approval ?? generateDeviceKeyPair();
  const connect = keys.connect ?? generateDeviceKeyPair();
  const deviceName = (overrides.deviceName as string | undefined) ?? 'Test laptop';
  const statement = pairStatement({
    relayOrigin: origin,
    pairingToken: token,
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    deviceName,
  });
  return {
    token,
    publicKey: approval.publicKey,
    connectPublicKey: connect.publicKey,
    deviceName,
    pinBlinded: blindPin('246810').blinded,
    signature: signStatement(statement, (keys.signer === 'connect' ? connect : approval).secretKey),
    ...overrides,
  };
}

/** 65 bytes with the uncompressed prefix, but (1, 1) is not on the curve. */
function offCurvePoint(): string {
  const point = new Uint8Array(65);
  point[0] = 4;
  point[32] = 1;
  point[64] = 1;
  return toBase64Url(point);
}

async function relayWithOffer(): Promise<{ relay: TestRelay; upn: string; userId: string; token: string }> {
  const relay = await startTestRelay();
  const user = await relay.createUser({ displayName: 'Pat Pairer' });
  const offer = await relay.admin.createPairing(user.upn);
  return { relay, upn: user.upn, userId: user.userId, token: offer.token };
}

describe('POST /api/v1/pairings/redeem', () => {
  it('answers 201 with the device id, the account and the relay', async () => {
    const { relay, upn, userId, token } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      deviceId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      account: { userId, upn, displayName: 'Pat Pairer' },
      relay: { origin: relay.origin, name: expect.any(String) },
      pinEvaluated: expect.stringMatching(/^[A-Za-z0-9_-]{44}$/),
    });
    const user = await relay.admin.getUser(upn);
    expect(user.devices.map((device) => device.deviceId)).toEqual([answer.body.deviceId]);
    expect(user.devices[0]!.name).toBe('Test laptop');
  });

  it('rejects a bad signature with 401 bad_signature and leaves the offer usable', async () => {
    const { relay, upn, token } = await relayWithOffer();
    const other = generateDeviceKeyPair();
    const forged = redeemBody(relay.origin, token);
    forged.signature = signStatement(
      pairStatement({
        relayOrigin: relay.origin,
        pairingToken: token,
        publicKey: forged.publicKey,
        connectPublicKey: forged.connectPublicKey,
        deviceName: 'Test laptop',
      }),
      other.secretKey,
    );
    const refused = await relay.http('POST', REDEEM, { body: forged });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('bad_signature');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);

    const accepted = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) });
    expect(accepted.status).toBe(201);
  });

  it('rejects a signature over another relay origin with 401 bad_signature', async () => {
    const { relay, token } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody('http://evil.example', token) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('bad_signature');
  });

  it('rejects a token used twice with 409 pairing_used', async () => {
    const { relay, upn, token } = await relayWithOffer();
    expect((await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) })).status).toBe(201);
    const second = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('pairing_used');
    expect((await relay.admin.getUser(upn)).devices).toHaveLength(1);
  });

  it('rejects a token after its 10 minutes with 410 pairing_expired', async () => {
    const { relay, upn, token } = await relayWithOffer();
    relay.clock.advance(10 * 60_000);
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) });
    expect(answer.status).toBe(410);
    expect(answer.body.error.code).toBe('pairing_expired');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
  });

  it('still accepts a token just before its 10 minutes are up', async () => {
    const { relay, token } = await relayWithOffer();
    relay.clock.advance(10 * 60_000 - 1);
    expect((await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) })).status).toBe(201);
  });

  it.each([
    ['token', { token: undefined }],
    ['publicKey', { publicKey: 12 }],
    ['connectPublicKey', { connectPublicKey: undefined }],
    ['connectPublicKey', { connectPublicKey: 'AAAA' }],
    ['deviceName', { deviceName: '' }],
    ['signature', { signature: 'not-a-signature' }],
  ])('rejects a body with a bad %s with 400 invalid_request naming the field', async (field, override) => {
    const { relay, upn, token } = await relayWithOffer();
    const body: Record<string, unknown> = redeemBody(relay.origin, token);
    for (const [key, value] of Object.entries(override)) {
      if (value === undefined) delete body[key];
      else body[key] = value;
    }
    const answer = await relay.http('POST', REDEEM, { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
  });

  it('rejects a deviceName over 64 characters with 400 and keeps the offer', async () => {
    const { relay, upn, token } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, { deviceName: 'x'.repeat(65) }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('deviceName');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
    expect((await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, { deviceName: 'y'.repeat(64) }) })).status).toBe(201);
  });

  it('rejects a deviceName with a newline with 400 (no statement field may hold one)', async () => {
    const { relay, upn, token } = await relayWithOffer();
    // Signed over a harmless name: the signer refuses newlines, so the body is edited afterwards.
    const answer = await relay.http('POST', REDEEM, { body: { ...redeemBody(relay.origin, token), deviceName: 'evil\nname' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('deviceName');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const { relay } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { rawBody: '{"token":' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it.each(['publicKey', 'connectPublicKey'])('rejects a %s that is not a P-256 point with 400 invalid_request naming it', async (field) => {
    const { relay, upn, token } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, { [field]: offCurvePoint() }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toMatch(new RegExp(`^${field} is invalid`));
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
  });

  it('rejects a compressed point as publicKey with 400 invalid_request', async () => {
    const { relay, token } = await relayWithOffer();
    const compressed = new Uint8Array(65);
    compressed[0] = 2;
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, { publicKey: toBase64Url(compressed) }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it('rejects a token nobody issued with 400 invalid_request', async () => {
    const { relay } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, 'AAAAAAAAAAAAAAAAAAAAAA') });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining('token') } });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });
});

describe('POST /api/v1/pairings/redeem with two keys (revision 2)', () => {
  it('stores the approval key and the connect key', async () => {
    const { relay, token } = await relayWithOffer();
    const body = redeemBody(relay.origin, token);
    const answer = await relay.http('POST', REDEEM, { body });
    expect(answer.status).toBe(201);
    const stored = await relay.running.relay.store.devices.byId(answer.body.deviceId);
    expect(stored).toMatchObject({ public_key: body.publicKey, connect_public_key: body.connectPublicKey });
  });

  it('rejects equal approval and connect keys with 400 invalid_request and keeps the offer', async () => {
    const { relay, upn, token } = await relayWithOffer();
    const keys = generateDeviceKeyPair();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, {}, { approval: keys, connect: keys }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('connectPublicKey');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
    expect((await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token) })).status).toBe(201);
  });

  it('rejects a pair statement signed by the connect key with 401 bad_signature', async () => {
    const { relay, upn, token } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, {}, { signer: 'connect' }) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('bad_signature');
    expect((await relay.admin.getUser(upn)).devices).toEqual([]);
  });

  it('rejects a signature over a revision-1 pair statement (no connect key in it)', async () => {
    const { relay, token } = await relayWithOffer();
    const body = redeemBody(relay.origin, token);
    const approval = generateDeviceKeyPair();
    // Revision 1 signed relayOrigin, token, publicKey and deviceName only.
    const oldStatement = new TextEncoder().encode(
      ['countersign/v1/pair', relay.origin, token, approval.publicKey, 'Test laptop'].join('\n'),
    );
    const answer = await relay.http('POST', REDEEM, {
      body: { ...body, publicKey: approval.publicKey, signature: signStatement(oldStatement, approval.secretKey) },
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('bad_signature');
  });
});
