import { describe, expect, it } from 'vitest';
import { decisionFrame, pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { relayWithDevice, type RelayWithDevice } from '../helpers/test-relay.ts';
import { publicKeyFromPoint } from '../../../relay-server/security/verify-signature.ts';

/** A sign-in for the fixture's user and the challenge its device received for it. */
async function pendingSignin(relay: RelayWithDevice, body: { password?: string; app?: string } = {}) {
  const created = await relay.signin.createSignin({ upn: relay.user.upn, ...body });
  const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
  return { created, challenge };
}

/** A number of the same length that is not the right one. */
function wrongNumber(right: string): string {
  const last = Number(right.at(-1));
  return right.slice(0, -1) + String((last + 1) % 10);
}

describe('decisions over the device socket', () => {
  it('approves with the right number: result approved, browser sees approved, complete gives a session once', async () => {
    const relay = await relayWithDevice();
    const { created, challenge } = await pendingSignin(relay);
    expect(challenge.match).toEqual({ mode: 'type', digits: 2 });
    const result = await relay.device.approve(created.requestId, created.number);
    expect(result).toMatchObject({ type: 'result', requestId: created.requestId, outcome: 'approved' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'approved' });

    const completed = await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken });
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual({ session: { upn: relay.user.upn, displayName: relay.user.displayName, amr: expect.any(Array) } });
    const cookie = completed.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // the test relay is on http

    const again = await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toEqual(expect.any(String));
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('refuses to complete a request that is still pending', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const answer = await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken });
    expect(answer.status).toBe(409);
    expect(answer.headers.get('set-cookie')).toBeNull();
  });

  it('refuses to complete an approved request without the browser token', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    await relay.device.approve(created.requestId, created.number);
    const answer = await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: 'AAAAAAAAAAAAAAAAAAAAAA' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('set-cookie')).toBeNull();
    // The real holder can still complete it.
    expect((await relay.signin.complete(created)).session.upn).toBe(relay.user.upn);
  });

  it('answers a wrong number in type mode with wrong_number', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const result = await relay.device.approve(created.requestId, wrongNumber(created.number));
    expect(result.outcome).toBe('wrong_number');
    expect(await relay.signin.getStatus(created)).toMatchObject({ status: 'wrong_number' });
    expect((await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken })).status).toBe(409);
  });

  it('never echoes the right number in the wrong_number answers', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'type', digits: 6 } } });
    const { created } = await pendingSignin(relay);
    const result = await relay.device.approve(created.requestId, wrongNumber(created.number));
    expect(
      Object.keys(result)
        .filter((key) => key !== 'relayOrigin')
        .sort(),
    ).toEqual(expect.arrayContaining(['outcome', 'requestId', 'type']));
    const { requestId: _id, ...rest } = result;
    expect(JSON.stringify(rest)).not.toContain(created.number);
    const status = await relay.http('GET', `/api/v1/signins/${created.requestId}`, { bearer: created.browserToken });
    expect(status.text).not.toContain(created.number);
  });

  it('answers a wrong choice in choose mode with wrong_number', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'choose', digits: 2 } } });
    const { created, challenge } = await pendingSignin(relay);
    if (challenge.match.mode !== 'choose') throw new Error('expected a choose challenge');
    const wrong = challenge.match.choices.find((choice) => choice !== created.number)!;
    expect((await relay.device.approve(created.requestId, wrong)).outcome).toBe('wrong_number');
    expect((await relay.signin.getStatus(created)).status).toBe('wrong_number');
  });

  it('approves the right choice in choose mode', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'choose', digits: 3 } } });
    const { created, challenge } = await pendingSignin(relay);
    if (challenge.match.mode !== 'choose') throw new Error('expected a choose challenge');
    expect(challenge.match.choices).toContain(created.number);
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });

  it('answers an approval with a number of the wrong length with wrong_number or rejected', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const result = await relay.device.approve(created.requestId, created.number + '0');
    expect(['wrong_number', 'rejected']).toContain(result.outcome);
    expect((await relay.signin.getStatus(created)).status).not.toBe('approved');
  });

  it('denies: result denied and browser sees denied', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    expect((await relay.device.deny(created.requestId)).outcome).toBe('denied');
    expect((await relay.signin.getStatus(created)).status).toBe('denied');
  });

  it('reports: result reported, and the user gets 429 until an admin clears the block', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    expect((await relay.device.report(created.requestId)).outcome).toBe('reported');
    expect((await relay.signin.getStatus(created)).status).toBe('reported');

    const blocked = await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    // Time alone does not lift it.
    relay.clock.advance(24 * 3_600_000);
    expect((await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } })).status).toBe(429);

    const log = await relay.admin.listSignins({ upn: relay.user.upn });
    expect(log.find((row) => row.requestId === created.requestId)).toMatchObject({ status: 'reported', deviceId: relay.deviceId });
    // The refused attempts are in the log too, once per window for this client (a day apart: two).
    expect(log.filter((row) => row.reason === 'push_blocked')).toHaveLength(2);

    const cleared = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, {
      admin: true,
      body: { pushBlocked: false },
    });
    expect(cleared.status).toBe(200);
    expect((await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } })).status).toBe(201);
  });

  it('rejects a decision with a bad signature and leaves the request pending for a valid one', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const forged = await relay.device.sendDecision({
      requestId: created.requestId,
      decision: 'approve',
      number: created.number,
      signature: 'A'.repeat(86),
    });
    expect(forged.outcome).toBe('rejected');
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });

  it('rejects a signature over other fields than the frame carries', async () => {
    const relay = await relayWithDevice();
    const keys = await pairKeys(relay, relay.user.upn);
    const { created } = await pendingSignin(relay);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    await raw.next('challenge', 0, (c) => c.requestId === created.requestId);
    // A valid signature over a wrong number, sent with the right one.
    raw.send(
      decisionFrame(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number },
        { number: wrongNumber(created.number) },
      ),
    );
    expect(await raw.next('result')).toMatchObject({ requestId: created.requestId, outcome: 'rejected' });
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    // And one signed at another time than the frame says.
    raw.send(
      decisionFrame(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number },
        { signedAt: relay.clock.now() - 1 },
      ),
    );
    expect(await raw.next('result', 1)).toMatchObject({ outcome: 'rejected' });
    // And one for another relay.
    raw.send(
      decisionFrame(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number },
        { relayOrigin: 'http://evil.example' },
      ),
    );
    expect(await raw.next('result', 2)).toMatchObject({ outcome: 'rejected' });
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision: 'approve', number: created.number }));
    expect(await raw.next('result', 3)).toMatchObject({ outcome: 'approved' });
  });

  it('answers a replayed decision with already_decided', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const signedAt = relay.clock.now();
    const decision = { requestId: created.requestId, decision: 'approve' as const, number: created.number, signedAt };
    expect((await relay.device.sendDecision(decision)).outcome).toBe('approved');
    expect((await relay.device.sendDecision(decision)).outcome).toBe('already_decided');
    expect((await relay.device.deny(created.requestId)).outcome).toBe('already_decided');
    expect((await relay.signin.getStatus(created)).status).toBe('approved');
  });

  it("rejects a decision for another user's request", async () => {
    const relay = await relayWithDevice();
    const mallory = await relay.createUser();
    const { device: malloryDevice } = await relay.pairDevice(mallory.upn);
    const { created } = await pendingSignin(relay);
    const result = await malloryDevice.approve(created.requestId, created.number);
    expect(result.outcome).toBe('rejected');
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });

  it('rejects a decision for a request that does not exist', async () => {
    const relay = await relayWithDevice();
    expect((await relay.device.deny('DDDDDDDDDDDDDDDDDDDDDD')).outcome).toBe('rejected');
  });

  it("rejects a decision signed by one account of a socket for the other account's request", async () => {
    const relay = await relayWithDevice();
    const alice = await pairKeys(relay, relay.user.upn);
    const bob = await relay.createUser();
    const bobKeys = await pairKeys(relay, bob.upn);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [alice, bobKeys]);
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await raw.next('challenge', 0, (c) => c.requestId === created.requestId);
    expect(raw.all('challenge').map((c) => c.deviceId)).toEqual([alice.deviceId]);
    raw.send(decisionFrame(relay, bobKeys, { requestId: created.requestId, decision: 'approve', number: created.number }));
    expect(await raw.next('result')).toMatchObject({ requestId: created.requestId, outcome: 'rejected' });
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
  });

  it('ignores unknown fields in a decision', async () => {
    const relay = await relayWithDevice();
    const keys = await pairKeys(relay, relay.user.upn);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await raw.next('challenge', 0, (c) => c.requestId === created.requestId);
    raw.send({
      ...decisionFrame(relay, keys, { requestId: created.requestId, decision: 'approve', number: created.number }),
      note: 'from the future',
    });
    expect(await raw.next('result')).toMatchObject({ outcome: 'approved' });
  });

  it('rejects a decision naming a device that is not authenticated on the socket', async () => {
    const relay = await relayWithDevice();
    const { deviceId: secondDeviceId } = await relay.pairDevice(relay.user.upn);
    const { created } = await pendingSignin(relay);
    const result = await relay.device.sendDecision({
      requestId: created.requestId,
      decision: 'approve',
      number: created.number,
      deviceId: secondDeviceId,
    });
    expect(result.outcome).toBe('rejected');
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
  });

  it('answers a decision after expiry with expired', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    relay.clock.advance(created.expiresAt - relay.clock.now());
    const result = await relay.device.approve(created.requestId, created.number);
    expect(result.outcome).toBe('expired');
    expect((await relay.signin.getStatus(created)).status).toBe('expired');
    expect((await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken })).status).toBe(409);
  });

  it('answers a decision after the sweeper expired the request with expired', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    await relay.advance(created.expiresAt - relay.clock.now());
    await relay.device.waitForCancel(created.requestId);
    expect((await relay.device.deny(created.requestId)).outcome).toBe('expired');
  });

  it.each([
    ['ahead', 60_001],
    ['behind', -60_001],
  ])('rejects a decision signed more than 60 s %s of the relay clock and changes nothing', async (_direction, skew) => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const { created } = await pendingSignin(relay);
    const result = await relay.device.sendDecision({ requestId: created.requestId, decision: 'deny', signedAt: relay.clock.now() + skew });
    expect(result.outcome).toBe('rejected');
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });

  it('counts no failure for a skewed deny (threshold 1 stays unlocked)', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const { created } = await pendingSignin(relay);
    expect(
      (await relay.device.sendDecision({ requestId: created.requestId, decision: 'deny', signedAt: relay.clock.now() + 120_000 })).outcome,
    ).toBe('rejected');
    expect((await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } })).status).toBe(201);
  });

  it('accepts a decision signed exactly 60 s from the relay clock', async () => {
    const relay = await relayWithDevice();
    const { created } = await pendingSignin(relay);
    const result = await relay.device.sendDecision({
      requestId: created.requestId,
      decision: 'approve',
      number: created.number,
      signedAt: relay.clock.now() - 60_000,
    });
    expect(result.outcome).toBe('approved');
  });

  it.each(['deny', 'report'] as const)('rejects a %s that carries a number and changes nothing', async (decision) => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const { created } = await pendingSignin(relay);
    const result = await relay.device.sendDecision({ requestId: created.requestId, decision, number: created.number });
    expect(result.outcome).toBe('rejected');
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
    expect((await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } })).status).toBe(201);
  });

  it('tells the second device approved_elsewhere when the first approves', async () => {
    const relay = await relayWithDevice();
    const { device: second } = await relay.pairDevice(relay.user.upn);
    const { created } = await pendingSignin(relay);
    await second.waitForChallenge((c) => c.requestId === created.requestId);
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
    expect(await second.waitForCancel(created.requestId)).toMatchObject({
      type: 'cancel',
      requestId: created.requestId,
      reason: 'approved_elsewhere',
    });
    expect((await second.deny(created.requestId)).outcome).toBe('already_decided');
  });

  it('tells the second device denied_elsewhere when the first denies', async () => {
    const relay = await relayWithDevice();
    const { device: second } = await relay.pairDevice(relay.user.upn);
    const { created } = await pendingSignin(relay);
    await second.waitForChallenge((c) => c.requestId === created.requestId);
    await relay.device.deny(created.requestId);
    expect((await second.waitForCancel(created.requestId)).reason).toBe('denied_elsewhere');
  });

  it('does not send the deciding device a cancel', async () => {
    const relay = await relayWithDevice();
    const { device: second } = await relay.pairDevice(relay.user.upn);
    const cancels: string[] = [];
    relay.device.on('cancel', (cancel) => cancels.push(cancel.requestId));
    const { created } = await pendingSignin(relay);
    await relay.device.approve(created.requestId, created.number);
    await second.waitForCancel(created.requestId);
    // The next request's challenge comes after anything the relay sent for the first one.
    const next = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((c) => c.requestId === next.requestId);
    expect(cancels).toEqual([]);
  });

  it('supersedes the older request: devices get cancel superseded, browser sees cancelled/superseded', async () => {
    const relay = await relayWithDevice();
    const { created: older } = await pendingSignin(relay);
    const events = relay.signin.events(older);
    const first = await events.next();
    expect(first.value).toEqual({ status: 'pending' });
    const newer = await relay.signin.createSignin({ upn: relay.user.upn });
    expect(await relay.device.waitForCancel(older.requestId)).toMatchObject({ reason: 'superseded' });
    expect(await relay.signin.getStatus(older)).toEqual({ status: 'cancelled', reason: 'superseded' });
    expect((await events.next()).value).toEqual({ status: 'cancelled', reason: 'superseded' });
    expect((await events.next()).done).toBe(true);
    expect((await relay.device.approve(older.requestId, older.number)).outcome).toBe('already_decided');
    expect((await relay.signin.getStatus(newer)).status).toBe('pending');
    expect((await relay.device.approve(newer.requestId, newer.number)).outcome).toBe('approved');
  });

  it('expires: devices get cancel expired and the browser sees expired', async () => {
    const relay = await relayWithDevice();
    const { device: second } = await relay.pairDevice(relay.user.upn);
    const { created } = await pendingSignin(relay);
    const stream = relay.signin.waitForOutcome(created);
    await relay.advance(created.expiresAt - relay.clock.now() - 1);
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    await relay.advance(1);
    expect((await relay.device.waitForCancel(created.requestId)).reason).toBe('expired');
    expect((await second.waitForCancel(created.requestId)).reason).toBe('expired');
    expect(await stream).toEqual({ status: 'expired' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'expired' });
  });

  it('rejects a decision from a device revoked while its socket still holds it, and leaves the request pending', async () => {
    const relay = await relayWithDevice();
    const keys = await pairKeys(relay, relay.user.upn);
    const { created } = await pendingSignin(relay);
    const { store, signins } = relay.running.relay;
    const stored = (await store.devices.byId(keys.deviceId))!;
    // The row is gone but the hub has not heard yet: the decision's own write must notice.
    await store.devices.remove(keys.deviceId);
    const decision = decisionFrame(relay, keys, {
      requestId: created.requestId,
      decision: 'approve',
      number: created.number,
    });
    const device = {
      id: stored.id,
      userId: stored.user_id,
      approvalKey: publicKeyFromPoint(stored.public_key),
      connectKey: publicKeyFromPoint(stored.connect_public_key!),
      lastUsedAt: 0,
    };
    expect(await signins.decide(device, decision)).toEqual({
      type: 'result',
      requestId: created.requestId,
      outcome: 'rejected',
      code: 'unknown_device',
    });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
  });

  it('sends nothing to a device after it was revoked', async () => {
    const relay = await relayWithDevice();
    await relay.admin.revokeDevice(relay.deviceId);
    await relay.device.waitForClose();
    const answer = await relay.http('POST', '/api/v1/signins', { body: { upn: relay.user.upn } });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('no_push_method');
  });
});
