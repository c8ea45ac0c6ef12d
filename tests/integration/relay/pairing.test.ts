import { describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, pairStatement, signStatement, toBase64Url } from '../../../protocol/index.ts';
import { startTestRelay, type TestRelay } from '../helpers/test-relay.ts';

const REDEEM = '/api/v1/pairings/redeem';

/** A redeem body for this offer, signed over the pair statement unless a test overrides a field. */
function redeemBody(origin: string, token: string, overrides: Record<string, unknown> = {}) {
  const keys = generateDeviceKeyPair();
  const deviceName = (overrides.deviceName as string | undefined) ?? 'Test laptop';
  const signature = signStatement(pairStatement({ relayOrigin: origin, pairingToken: token, publicKey: keys.publicKey, deviceName }), keys.secretKey);
  return { token, publicKey: keys.publicKey, deviceName, signature, ...overrides };
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
      pairStatement({ relayOrigin: relay.origin, pairingToken: token, publicKey: forged.publicKey as string, deviceName: 'Test laptop' }),
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

  it('rejects a publicKey that is not a P-256 point with 400 invalid_request', async () => {
    const { relay, upn, token } = await relayWithOffer();
    // 65 bytes with the uncompressed prefix, but (1, 1) is not on the curve.
    const offCurve = new Uint8Array(65);
    offCurve[0] = 4;
    offCurve[32] = 1;
    offCurve[64] = 1;
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, token, { publicKey: toBase64Url(offCurve) }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('publicKey');
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

  it('rejects a token nobody issued with a 4xx error body', async () => {
    const { relay } = await relayWithOffer();
    const answer = await relay.http('POST', REDEEM, { body: redeemBody(relay.origin, 'AAAAAAAAAAAAAAAAAAAAAA') });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  });
});
