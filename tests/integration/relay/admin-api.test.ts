import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../../protocol/index.ts';
import { decisionFrame, pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { relayWithDevice, startTestRelay } from '../helpers/test-relay.ts';

const ADMIN = '/api/v1/admin';

describe('admin API authentication', () => {
  it.each([
    ['GET', `${ADMIN}/policy`],
    ['PUT', `${ADMIN}/policy`],
    ['POST', `${ADMIN}/users`],
    ['GET', `${ADMIN}/users/someone%40example.test`],
    ['POST', `${ADMIN}/users/someone%40example.test/pairings`],
    ['POST', `${ADMIN}/users/someone%40example.test/tap`],
    ['DELETE', `${ADMIN}/devices/AAAAAAAAAAAAAAAAAAAAAA`],
    ['GET', `${ADMIN}/signins`],
  ])('%s %s answers 401 without the bearer token and with a wrong one', async (method, path) => {
    const relay = await startTestRelay();
    const body = method === 'GET' || method === 'DELETE' ? {} : { body: { upn: 'x@example.test', displayName: 'X' } };
    for (const init of [body, { ...body, bearer: 'not-the-admin-token-at-all' }, { ...body, bearer: `${relay.running.adminToken}x` }]) {
      const answer = await relay.http(method, path, init);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    expect(await relay.admin.listSignins()).toEqual([]);
  });

  it('does not create a user without the bearer token', async () => {
    const relay = await startTestRelay();
    await relay.http('POST', `${ADMIN}/users`, { body: { upn: 'sneaky@example.test', displayName: 'Sneaky' } });
    expect((await relay.http('GET', `${ADMIN}/users/sneaky%40example.test`, { admin: true })).status).toBe(404);
  });
});

describe('POST /api/v1/admin/users', () => {
  it('creates a user with 201 {userId, upn}', async () => {
    const relay = await startTestRelay();
    const answer = await relay.http('POST', `${ADMIN}/users`, {
      admin: true,
      body: { upn: 'new@example.test', displayName: 'New Person', groups: ['staff'] },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ userId: expect.any(String), upn: 'new@example.test' });
  });

  it('answers a duplicate upn with 409 user_exists, whatever its case', async () => {
    const relay = await startTestRelay();
    await relay.createUser({ upn: 'dup@example.test' });
    for (const upn of ['dup@example.test', 'DUP@Example.test']) {
      const answer = await relay.http('POST', `${ADMIN}/users`, { admin: true, body: { upn, displayName: 'Again' } });
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('user_exists');
    }
  });

  it.each([
    ['upn', { displayName: 'No Upn' }],
    ['upn', { upn: 'has space@example.test', displayName: 'Spacey' }],
    ['displayName', { upn: 'nodisplay@example.test' }],
    ['groups', { upn: 'badgroups@example.test', displayName: 'G', groups: 'staff' }],
  ])('rejects a bad %s with 400 invalid_request naming it', async (field, body) => {
    const relay = await startTestRelay();
    const answer = await relay.http('POST', `${ADMIN}/users`, { admin: true, body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
  });
});

describe('GET /api/v1/admin/users/{upn}', () => {
  it('shows the user with groups and devices', async () => {
    const relay = await relayWithDevice({ groups: ['staff', 'contractors'] });
    const answer = await relay.http('GET', `${ADMIN}/users/${encodeURIComponent(relay.user.upn)}`, { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      userId: relay.user.userId,
      upn: relay.user.upn,
      displayName: relay.user.displayName,
      groups: expect.arrayContaining(['staff', 'contractors']),
      devices: [{ deviceId: relay.deviceId, name: 'Virtual device', createdAt: relay.clock.now(), lastUsedAt: null }],
    });
    expect(answer.body.groups).toHaveLength(2);
  });

  it('records lastUsedAt when the device decides', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    relay.clock.advance(5_000);
    await relay.device.approve(created.requestId, created.number);
    const user = await relay.admin.getUser(relay.user.upn);
    expect(user.devices[0]!.lastUsedAt).toBe(relay.clock.now());
  });

  it('writes lastUsedAt at most once a minute, so a busy device costs no write per decision', async () => {
    const relay = await relayWithDevice();
    const approveOne = async () => {
      const created = await relay.signin.createSignin({ upn: relay.user.upn });
      expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
    };
    await approveOne();
    const firstUse = relay.clock.now();
    relay.clock.advance(59_000);
    await approveOne();
    expect((await relay.admin.getUser(relay.user.upn)).devices[0]!.lastUsedAt).toBe(firstUse);
    relay.clock.advance(1_000);
    await approveOne();
    expect((await relay.admin.getUser(relay.user.upn)).devices[0]!.lastUsedAt).toBe(relay.clock.now());
  });

  it.each(['pct%41@example.test', '100%real@example.test', 'plus+tag@example.test'])(
    'finds the user %s by its percent-encoded upn (decoded once)',
    async (upn) => {
      const relay = await startTestRelay();
      const created = await relay.createUser({ upn });
      const answer = await relay.http('GET', `${ADMIN}/users/${encodeURIComponent(upn)}`, { admin: true });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ userId: created.userId, upn });
      const offer = await relay.http('POST', `${ADMIN}/users/${encodeURIComponent(upn)}/pairings`, { admin: true });
      expect(offer.status).toBe(201);
    },
  );

  it('answers an unknown user with 404', async () => {
    const relay = await startTestRelay();
    const answer = await relay.http('GET', `${ADMIN}/users/ghost%40example.test`, { admin: true });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toEqual(expect.any(String));
  });
});

describe('POST /api/v1/admin/users/{upn}/pairings', () => {
  it('answers 201 with a token, the exact pairing link and an expiry 10 minutes out', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser({ upn: 'pair.me+tag@example.test' });
    const answer = await relay.http('POST', `${ADMIN}/users/${encodeURIComponent(user.upn)}/pairings`, { admin: true });
    expect(answer.status).toBe(201);
    const { token, link, expiresAt } = answer.body;
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(link).toBe(
      `${relay.origin}/pair#v=1&token=${token}&upn=${encodeURIComponent(user.upn)}&relay=${encodeURIComponent(relay.origin)}`,
    );
    expect(link).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/pair#v=1&token=[A-Za-z0-9_-]{22}&upn=pair\.me%2Btag%40example\.test&relay=http%3A%2F%2F127\.0\.0\.1%3A\d+$/,
    );
    expect(expiresAt).toBe(relay.clock.now() + 10 * 60_000);
  });

  it('gives a new token each time', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const first = await relay.admin.createPairing(user.upn);
    const second = await relay.admin.createPairing(user.upn);
    expect(first.token).not.toBe(second.token);
  });

  it('answers an unknown user with 404', async () => {
    const relay = await startTestRelay();
    expect((await relay.http('POST', `${ADMIN}/users/ghost%40example.test/pairings`, { admin: true })).status).toBe(404);
  });
});

describe('POST /api/v1/admin/users/{upn}/tap', () => {
  it('issues a Temporary Access Pass with 201 {code, expiresAt}', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const answer = await relay.http('POST', `${ADMIN}/users/${encodeURIComponent(user.upn)}/tap`, {
      admin: true,
      body: { lifetimeMinutes: 60, oneTime: true },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ code: expect.any(String), expiresAt: relay.clock.now() + 60 * 60_000 });
    expect(answer.body.code.length).toBeGreaterThanOrEqual(8);
  });

  it.each([10, 43_200])('accepts a lifetime of %i minutes', async (lifetimeMinutes) => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const pass = await relay.admin.issueTap(user.upn, { lifetimeMinutes, oneTime: false });
    expect(pass.expiresAt).toBe(relay.clock.now() + lifetimeMinutes * 60_000);
  });

  it.each([
    ['lifetimeMinutes', { lifetimeMinutes: 9, oneTime: true }],
    ['lifetimeMinutes', { lifetimeMinutes: 43_201, oneTime: true }],
    ['lifetimeMinutes', { lifetimeMinutes: 30.5, oneTime: true }],
    ['oneTime', { lifetimeMinutes: 30 }],
  ])('rejects a bad %s with 400 invalid_request', async (field, body) => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const answer = await relay.http('POST', `${ADMIN}/users/${encodeURIComponent(user.upn)}/tap`, { admin: true, body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
  });
});

describe('DELETE /api/v1/admin/devices/{deviceId}', () => {
  it('answers 204; the connected device gets revoked and, holding no other credential, close 4403', async () => {
    const relay = await relayWithDevice();
    const revoked = relay.device.waitForRevoked(relay.deviceId);
    const answer = await relay.http('DELETE', `${ADMIN}/devices/${relay.deviceId}`, { admin: true });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(await revoked).toMatchObject({ type: 'revoked', deviceId: relay.deviceId });
    expect((await relay.device.waitForClose()).code).toBe(4403);
    expect((await relay.admin.getUser(relay.user.upn)).devices).toEqual([]);
  });

  it('keeps the socket open when the device holds another credential on it', async () => {
    const relay = await relayWithDevice();
    const second = await relay.createUser();
    const offer = await relay.admin.createPairing(second.upn);
    const account = await relay.device.pair(offer.link);
    const ready = await relay.device.connected(relay.origin);
    expect(ready.accepted).toEqual(expect.arrayContaining([relay.deviceId, account.deviceId]));
    await relay.admin.revokeDevice(relay.deviceId);
    await relay.device.waitForRevoked(relay.deviceId);
    const created = await relay.signin.createSignin({ upn: second.upn });
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    expect(challenge.deviceId).toBe(account.deviceId);
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });

  it('makes the device forget the account, and refuses the credential on the next connect', async () => {
    const relay = await relayWithDevice();
    const keys = await pairKeys(relay, relay.user.upn);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    await relay.admin.revokeDevice(relay.deviceId);
    await relay.device.waitForClose();
    expect(relay.device.accounts()).toEqual([]);

    await relay.admin.revokeDevice(keys.deviceId);
    expect(await raw.next('revoked')).toEqual({ type: 'revoked', deviceId: keys.deviceId });
    expect((await raw.waitForClose()).code).toBe(4403);
    const again = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    expect(again.ready).toMatchObject({ accepted: [], rejected: [{ deviceId: keys.deviceId }] });
    expect((await again.raw.waitForClose()).code).toBe(4401);
  });

  it('rejects a decision by a revoked credential on a socket that keeps another one', async () => {
    const relay = await relayWithDevice();
    const mine = await pairKeys(relay, relay.user.upn);
    const other = await relay.createUser();
    const theirs = await pairKeys(relay, other.upn);
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [mine, theirs]);
    expect(ready.accepted).toEqual(expect.arrayContaining([mine.deviceId, theirs.deviceId]));
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await raw.next('challenge', 0, (c) => c.deviceId === mine.deviceId);
    await relay.admin.revokeDevice(mine.deviceId);
    await raw.next('revoked');
    raw.send(decisionFrame(relay, mine, { requestId: created.requestId, decision: 'approve', number: created.number }));
    expect(await raw.next('result')).toMatchObject({ requestId: created.requestId, outcome: 'rejected' });
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('answers an unknown device with 404', async () => {
    const relay = await startTestRelay();
    const answer = await relay.http('DELETE', `${ADMIN}/devices/AAAAAAAAAAAAAAAAAAAAAA`, { admin: true });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toEqual(expect.any(String));
  });

  it('answers a second revocation of the same device with 404', async () => {
    const relay = await relayWithDevice();
    await relay.admin.revokeDevice(relay.deviceId);
    expect((await relay.http('DELETE', `${ADMIN}/devices/${relay.deviceId}`, { admin: true })).status).toBe(404);
  });
});

describe('GET and PUT /api/v1/admin/policy', () => {
  it('starts at the defaults of section 6', async () => {
    const relay = await startTestRelay();
    const answer = await relay.http('GET', `${ADMIN}/policy`, { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      enabled: true,
      targets: 'all',
      excludeGroups: [],
      mode: 'any',
      match: { mode: 'type', digits: 2 },
      showAppName: true,
      showLocation: true,
      requestTtlSeconds: 120,
      maxPushesPer10Min: 5,
      maxUnfamiliarPushesPerHour: 20,
      lockoutAfterFailures: 10,
    });
  });

  it('round-trips a full policy', async () => {
    const relay = await startTestRelay();
    const policy: Policy = {
      enabled: false,
      targets: ['staff', 'ops'],
      excludeGroups: ['contractors'],
      mode: 'push',
      match: { mode: 'choose', digits: 4 },
      showAppName: false,
      showLocation: false,
      requestTtlSeconds: 30,
      maxPushesPer10Min: 7,
      maxUnfamiliarPushesPerHour: 40,
      lockoutAfterFailures: 3,
    };
    const put = await relay.http('PUT', `${ADMIN}/policy`, { admin: true, body: policy });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(policy);
    expect((await relay.http('GET', `${ADMIN}/policy`, { admin: true })).body).toEqual(policy);
  });

  it.each<[string, Record<string, unknown>]>([
    ['enabled', { enabled: 'yes' }],
    ['targets', { targets: 'some' }],
    ['targets', { targets: [''] }],
    ['excludeGroups', { excludeGroups: 'contractors' }],
    ['mode', { mode: 'sometimes' }],
    ['match', { match: { mode: 'guess', digits: 2 } }],
    ['digits', { match: { mode: 'type', digits: 1 } }],
    ['digits', { match: { mode: 'type', digits: 7 } }],
    ['showAppName', { showAppName: 1 }],
    ['showLocation', { showLocation: null }],
    ['requestTtlSeconds', { requestTtlSeconds: 29 }],
    ['requestTtlSeconds', { requestTtlSeconds: 601 }],
    ['maxPushesPer10Min', { maxPushesPer10Min: -1 }],
    ['maxPushesPer10Min', { maxPushesPer10Min: 2.5 }],
    ['lockoutAfterFailures', { lockoutAfterFailures: '10' }],
  ])('rejects a bad %s with 400 invalid_request naming it, and keeps the policy', async (field, change) => {
    const relay = await startTestRelay();
    const answer = await relay.http('PUT', `${ADMIN}/policy`, { admin: true, body: { ...DEFAULT_POLICY, ...change } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
    expect(await relay.admin.getPolicy()).toEqual(DEFAULT_POLICY);
  });

  it.each(['enabled', 'targets', 'mode', 'match', 'requestTtlSeconds', 'lockoutAfterFailures'])(
    'rejects a policy without %s',
    async (field) => {
      const relay = await startTestRelay();
      const body: Record<string, unknown> = { ...DEFAULT_POLICY };
      delete body[field];
      const answer = await relay.http('PUT', `${ADMIN}/policy`, { admin: true, body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain(field);
    },
  );

  it('accepts the bounds 2 and 6 digits and 30 and 600 seconds', async () => {
    const relay = await startTestRelay();
    for (const change of [
      { match: { mode: 'type' as const, digits: 2 } },
      { match: { mode: 'choose' as const, digits: 6 } },
      { requestTtlSeconds: 30 },
      { requestTtlSeconds: 600 },
    ]) {
      expect(await relay.setPolicy(change)).toMatchObject(change);
    }
  });
});

describe('GET /api/v1/admin/signins', () => {
  it('lists sign-ins newest first with the fields of section 7', async () => {
    const relay = await relayWithDevice();
    const first = await relay.signin.createSignin({ upn: relay.user.upn, app: 'wiki' });
    await relay.device.approve(first.requestId, first.number);
    relay.clock.advance(1_000);
    const second = await relay.signin.createSignin({ upn: relay.user.upn });
    relay.clock.advance(1_000);
    await relay.device.deny(second.requestId);

    const answer = await relay.http('GET', `${ADMIN}/signins`, { admin: true });
    expect(answer.status).toBe(200);
    const signins = answer.body.signins as Array<Record<string, unknown>>;
    expect(signins.map((entry) => entry.requestId)).toEqual([second.requestId, first.requestId]);
    for (const entry of signins) {
      expect(Object.keys(entry)).toEqual(
        expect.arrayContaining([
          'requestId',
          'upn',
          'app',
          'ip',
          'location',
          'method',
          'status',
          'reason',
          'deviceId',
          'createdAt',
          'decidedAt',
        ]),
      );
    }
    expect(signins[1]).toMatchObject({
      upn: relay.user.upn,
      ip: '127.0.0.1',
      location: 'Local network',
      method: 'passwordless',
      status: 'approved',
      deviceId: relay.deviceId,
      createdAt: relay.clock.now() - 2_000,
      decidedAt: relay.clock.now() - 2_000,
    });
    expect(signins[1]!.app).toBeTruthy();
    expect(signins[0]).toMatchObject({
      status: 'denied',
      deviceId: relay.deviceId,
      createdAt: relay.clock.now() - 1_000,
      decidedAt: relay.clock.now(),
    });
    expect(JSON.stringify(signins)).not.toContain(first.browserToken);
  });

  it('filters by upn and limits the count', async () => {
    const relay = await relayWithDevice();
    const other = await relay.createUser();
    await relay.pairDevice(other.upn, { connect: false });
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      mine.push((await relay.signin.createSignin({ upn: relay.user.upn })).requestId);
      relay.clock.advance(10);
    }
    const theirs = (await relay.signin.createSignin({ upn: other.upn })).requestId;

    expect((await relay.admin.listSignins()).map((entry) => entry.requestId)).toEqual([theirs, ...mine.toReversed()]);
    const filtered = await relay.admin.listSignins({ upn: relay.user.upn });
    expect(filtered.map((entry) => entry.requestId)).toEqual(mine.toReversed());
    const limited = await relay.admin.listSignins({ upn: relay.user.upn, limit: 2 });
    expect(limited.map((entry) => entry.requestId)).toEqual(mine.toReversed().slice(0, 2));
    expect((await relay.admin.listSignins({ limit: 1 })).map((entry) => entry.requestId)).toEqual([theirs]);
  });

  it('treats empty filters (?upn=&limit=) as no filter', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const answer = await relay.http('GET', `${ADMIN}/signins?upn=&limit=`, { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.body.signins.map((entry: { requestId: string }) => entry.requestId)).toEqual([created.requestId]);
  });

  it('rejects a bad limit with 400', async () => {
    const relay = await startTestRelay();
    for (const limit of ['0', '-1', 'ten']) {
      const answer = await relay.http('GET', `${ADMIN}/signins?limit=${limit}`, { admin: true });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain('limit');
    }
  });
});
