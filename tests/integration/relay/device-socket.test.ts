import { describe, expect, it } from 'vitest';
import {
  connectStatement,
  decisionStatement,
  fromBase64Url,
  generateDeviceKeyPair,
  randomId,
  signStatement,
} from '../../../protocol/index.ts';
import { loadConfig } from '../../../relay-server/config.ts';
import { pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket, authFrame } from '../helpers/raw-device-socket.ts';
import { startTestRelay } from '../helpers/test-relay.ts';

async function relayWithKeys(timing: Parameters<typeof startTestRelay>[0] = {}) {
  const relay = await startTestRelay(timing);
  const user = await relay.createUser();
  const keys = await pairKeys(relay, user.upn);
  return { relay, user, keys };
}

describe('GET /api/v1/devices/connect (WebSocket)', () => {
  it('sends hello with a nonce and the server time as soon as the socket opens', async () => {
    const relay = await startTestRelay();
    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    expect(hello).toEqual({ type: 'hello', nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/), serverTime: relay.clock.now() });
    expect(raw.frames[0]!.type).toBe('hello');
  });

  it('gives every socket a fresh nonce', async () => {
    const relay = await startTestRelay();
    const first = await (await RawDeviceSocket.open(relay.origin)).next('hello');
    const second = await (await RawDeviceSocket.open(relay.origin)).next('hello');
    expect(first.nonce).not.toBe(second.nonce);
  });

  it('accepts a credential signed over the nonce with ready', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    expect(ready).toEqual({ type: 'ready', accepted: [keys.deviceId], rejected: [] });
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('accepts the good credentials and lists the unknown and badly signed ones as rejected', async () => {
    const { relay, user, keys } = await relayWithKeys();
    const other = await pairKeys(relay, user.upn);
    const unknown = { deviceId: 'AAAAAAAAAAAAAAAAAAAAAA', connectKey: generateDeviceKeyPair().secretKey };
    const wrongKey = { deviceId: other.deviceId, connectKey: generateDeviceKeyPair().secretKey };
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [keys, unknown, wrongKey]);
    expect(ready.accepted).toEqual([keys.deviceId]);
    expect(ready.rejected).toEqual(
      expect.arrayContaining([
        { deviceId: unknown.deviceId, code: expect.any(String) },
        { deviceId: other.deviceId, code: expect.any(String) },
      ]),
    );
    expect(ready.rejected).toHaveLength(2);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('rejects a signature over another nonce', async () => {
    const { relay, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    const stale = signStatement(
      connectStatement({ relayOrigin: relay.origin, nonce: 'AAAAAAAAAAAAAAAAAAAAAA', deviceId: keys.deviceId }),
      keys.connectKey,
    );
    raw.send({ type: 'auth', credentials: [{ deviceId: keys.deviceId, signature: stale }] });
    const ready = await raw.next('ready');
    expect(ready.accepted).toEqual([]);
    expect((await raw.waitForClose()).code).toBe(4401);
  });

  it('sends ready and then closes with 4401 when no credential is accepted', async () => {
    const relay = await startTestRelay();
    const stranger = { deviceId: 'BBBBBBBBBBBBBBBBBBBBBB', connectKey: generateDeviceKeyPair().secretKey };
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [stranger]);
    expect(ready).toEqual({ type: 'ready', accepted: [], rejected: [{ deviceId: stranger.deviceId, code: expect.any(String) }] });
    expect((await raw.waitForClose()).code).toBe(4401);
  });

  it('closes with 4408 when no auth comes in time', async () => {
    const relay = await startTestRelay({ timing: { authTimeoutMs: 50 } });
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    expect((await raw.waitForClose()).code).toBe(4408);
    expect(raw.all('ready')).toEqual([]);
  });

  it('closes with 4413 on a frame over 16 KiB', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    raw.send(JSON.stringify({ type: 'pong', t: 1, padding: 'x'.repeat(16 * 1024) }));
    expect((await raw.waitForClose()).code).toBe(4413);
  });

  it('closes with 4413 on an oversized frame even before auth', async () => {
    const relay = await startTestRelay();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    raw.send('x'.repeat(16 * 1024 + 1));
    expect((await raw.waitForClose()).code).toBe(4413);
  });

  it('accepts a frame of exactly 16 KiB', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const base = JSON.stringify({ type: 'pong', t: 1, padding: '' });
    raw.send(JSON.stringify({ type: 'pong', t: 1, padding: 'x'.repeat(16 * 1024 - base.length) }));
    // A frame after it is still answered: the socket survived.
    raw.send('not json');
    await raw.next('error');
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('answers each of three malformed frames with error, then closes with 4400', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    raw.send('{not json');
    const first = await raw.next('error', 0);
    expect(first).toEqual({ type: 'error', code: expect.any(String), message: expect.any(String) });
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.send({ type: 'teleport', requestId: 'x' });
    await raw.next('error', 1);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.send({ type: 'pong' });
    await raw.next('error', 2);
    expect((await raw.waitForClose()).code).toBe(4400);
  });

  it('treats a binary frame as malformed', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    raw.socket.send(Buffer.from(JSON.stringify({ type: 'pong', t: 1 })), { binary: true });
    expect(await raw.next('error')).toMatchObject({ type: 'error' });
  });

  it('treats a decision with a mistyped field as malformed, not as a decision', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    raw.send({
      type: 'decision',
      requestId: 'CCCCCCCCCCCCCCCCCCCCCC',
      deviceId: keys.deviceId,
      decision: 'approve',
      number: 42,
      signedAt: relay.clock.now(),
      signature: 'A'.repeat(86),
    });
    expect(await raw.next('error')).toMatchObject({ type: 'error' });
    expect(raw.all('result')).toEqual([]);
  });

  it('ignores unknown fields in auth and pong', async () => {
    const { relay, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    raw.send({
      type: 'auth',
      future: { anything: true },
      credentials: [
        {
          deviceId: keys.deviceId,
          hint: 'x',
          signature: signStatement(
            connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: keys.deviceId }),
            keys.connectKey,
          ),
        },
      ],
    });
    expect((await raw.next('ready')).accepted).toEqual([keys.deviceId]);
    raw.send({ type: 'pong', t: 5, extra: 'ignored' });
    raw.send('not json');
    await raw.next('error');
    expect(raw.all('error')).toHaveLength(1);
  });

  it('closes with 4429 when a device floods frames', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    // The relay clock stands still, so nothing refills the allowance during the burst.
    for (let i = 0; i < 200; i++) raw.send({ type: 'pong', t: i });
    expect((await raw.waitForClose()).code).toBe(4429);
  });

  it('uses 10 s for auth and 20 s between pings unless told otherwise', () => {
    const { config } = loadConfig({ DATA_DIR: '/nonexistent-countersign-test', ADMIN_TOKEN: 'a-test-admin-token-0123456789' });
    expect(config.timing).toMatchObject({ authTimeoutMs: 10_000, pingIntervalMs: 20_000 });
  });

  it('counts malformed frames before auth too', async () => {
    const relay = await startTestRelay();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    raw.send('[]');
    raw.send({ type: 'auth', credentials: 'nope' });
    raw.send({ type: 'auth', credentials: [] });
    expect((await raw.waitForClose()).code).toBe(4400);
    expect(raw.all('error')).toHaveLength(3);
  });

  it('closes with 4401 on a decision before auth', async () => {
    const { relay, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    await raw.next('hello');
    const signedAt = relay.clock.now();
    const requestId = 'CCCCCCCCCCCCCCCCCCCCCC';
    const signature = signStatement(
      decisionStatement({
        relayOrigin: relay.origin,
        requestId,
        deviceId: keys.deviceId,
        decision: 'deny',
        number: '',
        signedAt,
        unlock: 'none',
      }),
      keys.connectKey,
    );
    raw.send({ type: 'decision', requestId, deviceId: keys.deviceId, decision: 'deny', number: '', signedAt, unlock: 'none', signature });
    expect((await raw.waitForClose()).code).toBe(4401);
  });

  it('answers a second auth on the same socket with error', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const hello = raw.all('hello')[0]!;
    raw.send({
      type: 'auth',
      credentials: [
        {
          deviceId: keys.deviceId,
          signature: signStatement(
            connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: keys.deviceId }),
            keys.connectKey,
          ),
        },
      ],
    });
    const error = await raw.next('error');
    expect(error.code).toEqual(expect.any(String));
    expect(raw.all('ready')).toHaveLength(1);
  });

  it('spreads pings over the interval instead of pinging every socket at once', async () => {
    const { relay, user } = await relayWithKeys({ timing: { pingIntervalMs: 1_000 } });
    // Five devices, four sockets each: a device holds at most 4 authenticated sockets (section 4).
    const devices = await Promise.all(Array.from({ length: 5 }, () => pairKeys(relay, user.upn)));
    const sockets = await Promise.all(Array.from({ length: 20 }, (_, i) => RawDeviceSocket.authenticated(relay.origin, [devices[i % 5]!])));
    const firstPings = await Promise.all(sockets.map(({ raw }) => raw.next('ping').then(() => performance.now())));
    // Twenty sockets, twenty slots 50 ms apart: their first pings span most of the second.
    expect(Math.max(...firstPings) - Math.min(...firstPings)).toBeGreaterThan(300);
    // And each socket still gets one ping per interval.
    await Promise.all(sockets.map(({ raw }) => raw.next('ping', 1)));
  });

  it('sends ping at the ping interval and accepts pong', async () => {
    const { relay, keys } = await relayWithKeys({ timing: { pingIntervalMs: 20 } });
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const ping = await raw.next('ping');
    expect(ping).toEqual({ type: 'ping', t: expect.any(Number) });
    raw.send({ type: 'pong', t: ping.t });
    await raw.next('ping', 2);
    expect(raw.all('error')).toEqual([]);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('sends challenges that were created while the device was offline right after ready', async () => {
    const { relay, user, keys } = await relayWithKeys();
    await relay.setPolicy({ match: { mode: 'type', digits: 3 } });
    const created = await relay.signin.createSignin({ upn: user.upn });
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    expect(ready.accepted).toEqual([keys.deviceId]);
    const challenge = await raw.next('challenge');
    expect(raw.frames.indexOf(challenge)).toBeGreaterThan(raw.frames.indexOf(ready));
    expect(challenge).toMatchObject({
      type: 'challenge',
      requestId: created.requestId,
      deviceId: keys.deviceId,
      account: { upn: user.upn, displayName: user.displayName },
      match: { mode: 'type', digits: 3 },
      expiresAt: created.expiresAt,
    });
    expect(JSON.stringify(challenge)).not.toContain(`"${created.number}"`);
  });

  it('does not re-send challenges that were settled while the device was offline', async () => {
    const { relay, user, keys } = await relayWithKeys();
    const cancelled = await relay.signin.createSignin({ upn: user.upn });
    await relay.signin.cancel(cancelled);
    const expiring = await relay.signin.createSignin({ upn: user.upn });
    await relay.advance(120_000);
    const live = await relay.signin.createSignin({ upn: user.upn });
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    await raw.next('challenge');
    expect(raw.all('challenge').map((challenge) => challenge.requestId)).toEqual([live.requestId]);
    expect(expiring.requestId).not.toBe(live.requestId);
  });

  it('delivers a challenge to a socket that authenticated with a high-S signature', async () => {
    // Section 2: verifiers accept high-S as well as low-S.
    const { relay, user, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    const lowS = fromBase64Url(
      signStatement(connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: keys.deviceId }), keys.connectKey),
    );
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt('0x' + Buffer.from(lowS.subarray(32)).toString('hex'));
    const highS = Buffer.concat([Buffer.from(lowS.subarray(0, 32)), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    raw.send({ type: 'auth', credentials: [{ deviceId: keys.deviceId, signature: highS.toString('base64url') }] });
    expect((await raw.next('ready')).accepted).toEqual([keys.deviceId]);
    const created = await relay.signin.createSignin({ upn: user.upn });
    expect((await raw.next('challenge')).requestId).toBe(created.requestId);
  });
});

describe('auth with two keys per device (revision 2)', () => {
  it('refuses a connect statement signed with the approval key: rejected bad_signature, then 4401', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [{ deviceId: keys.deviceId, connectKey: keys.approvalKey }]);
    expect(ready).toEqual({ type: 'ready', accepted: [], rejected: [{ deviceId: keys.deviceId, code: 'bad_signature' }] });
    expect((await raw.waitForClose()).code).toBe(4401);
  });

  it('accepts the credential signed with its connect key beside one signed with an approval key', async () => {
    const { relay, user, keys } = await relayWithKeys();
    const other = await pairKeys(relay, user.upn);
    const { raw, ready } = await RawDeviceSocket.authenticated(relay.origin, [
      keys,
      { deviceId: other.deviceId, connectKey: other.approvalKey },
    ]);
    expect(ready).toEqual({ type: 'ready', accepted: [keys.deviceId], rejected: [{ deviceId: other.deviceId, code: 'bad_signature' }] });
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it('treats an auth naming a device twice as malformed, checks none of it, and still takes a good auth after it', async () => {
    const { relay, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    raw.send(authFrame(relay.origin, hello.nonce, [keys, keys]));
    expect(await raw.next('error')).toMatchObject({ type: 'error', code: 'malformed_frame' });
    expect(raw.all('ready')).toEqual([]);
    raw.send(authFrame(relay.origin, hello.nonce, [keys]));
    expect((await raw.next('ready')).accepted).toEqual([keys.deviceId]);
  });

  it('treats an auth with 65 credentials as malformed, and closes with 4400 at the third such frame', async () => {
    const { relay, keys } = await relayWithKeys();
    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    const strangers = Array.from({ length: 64 }, () => ({ deviceId: randomId(), connectKey: keys.connectKey }));
    const frame = authFrame(relay.origin, hello.nonce, [keys, ...strangers]);
    expect(frame.credentials).toHaveLength(65);
    for (let i = 0; i < 3; i++) raw.send(frame);
    expect((await raw.waitForClose()).code).toBe(4400);
    expect(raw.all('error').map((error) => error.code)).toEqual(['malformed_frame', 'malformed_frame', 'malformed_frame']);
    expect(raw.all('ready')).toEqual([]);
  });

  it('takes an auth with 64 credentials', async () => {
    const { relay, keys } = await relayWithKeys();
    const strangers = Array.from({ length: 63 }, () => ({ deviceId: randomId(), connectKey: keys.connectKey }));
    const { ready } = await RawDeviceSocket.authenticated(relay.origin, [keys, ...strangers]);
    expect(ready.accepted).toEqual([keys.deviceId]);
    expect(ready.rejected).toHaveLength(63);
    expect(ready.rejected.every((entry: { code: string }) => entry.code === 'unknown_device')).toBe(true);
  });

  it('refuses a frame far over 16 KiB with 4413 without reading it', async () => {
    const { relay, keys } = await relayWithKeys();
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    raw.send(JSON.stringify({ type: 'pong', t: 1, padding: 'x'.repeat(1024 * 1024) }));
    expect((await raw.waitForClose()).code).toBe(4413);
  });
});
