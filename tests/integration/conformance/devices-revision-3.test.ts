import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  connectStatement,
  decisionStatement,
  deviceActionStatement,
  generateDeviceKeyPair,
  pairStatement,
  parsePairingLink,
  signStatement,
  type DeviceKeyPair,
} from '../../../protocol/index.ts';
import { blindPin, finishPin, type BlindedPin } from '../../../protocol/pin-oprf.ts';
import { RelayExitError, startRelayProcess, type RelayProcess } from './relay-process.ts';

/**
 * Sections 2 to 4a of docs/protocol.md revision 3, checked from outside against `npm run relay` in its
 * own process: keys, pairing and the device connection, each rule as a client would meet it.
 */

const WAIT_MS = 5_000;
let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelayProcess();
}, 30_000);
afterAll(async () => relay?.stop());

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function http(method: string, path: string, body?: unknown, admin = false): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (admin) headers.authorization = `Bearer ${relay.adminToken}`;
  const response = await fetch(`${relay.origin}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

let users = 0;
async function newUser(): Promise<string> {
  const upn = `conformance${++users}@example.test`;
  expect((await http('POST', '/api/v1/admin/users', { upn, displayName: `Conformance ${users}` }, true)).status).toBe(201);
  return upn;
}

async function offer(upn: string): Promise<{ token: string; relayOrigin: string }> {
  const answer = await http('POST', `/api/v1/admin/users/${encodeURIComponent(upn)}/pairings`, undefined, true);
  expect(answer.status).toBe(201);
  const link = parsePairingLink(answer.body.link);
  expect(link).not.toBeNull();
  return link!;
}

interface Device {
  deviceId: string;
  approval: DeviceKeyPair;
  connect: DeviceKeyPair;
}

function redeemBody(token: string, approval: DeviceKeyPair, connect: DeviceKeyPair, deviceName: string, signer = approval) {
  const statement = pairStatement({
    relayOrigin: relay.origin,
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
    pinBlinded: blindPin(CONFORMANCE_PIN).blinded,
    signature: signStatement(statement, signer.secretKey),
  };
}

const CONFORMANCE_PIN = '135790';

async function pair(upn: string, deviceName = 'Conformance device'): Promise<Device> {
  const { token } = await offer(upn);
  const approval = generateDeviceKeyPair();
  const connect = generateDeviceKeyPair();
  const answer = await http('POST', '/api/v1/pairings/redeem', redeemBody(token, approval, connect, deviceName));
  expect(answer.status).toBe(201);
  return { deviceId: answer.body.deviceId, approval, connect };
}

/** A device socket that records every frame and its close. */
class Socket {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  private readonly socket: WebSocket;
  private waiters: Array<() => void> = [];

  constructor() {
    this.socket = new WebSocket(`${relay.origin.replace(/^http/, 'ws')}/api/v1/devices/connect`);
    this.socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.socket.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The first frame (from index `from`) that matches, waiting for it. */
  async next(predicate: (frame: any) => boolean, from = 0): Promise<any> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.frames.slice(from).find(predicate);
      if (found) return found;
      if (this.closeCode !== null) throw new Error(`closed with ${this.closeCode} before the frame came`);
      if (Date.now() > deadline) throw new Error('no such frame in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, deadline - Date.now()).unref();
      });
    }
  }

  async closed(): Promise<number> {
    const deadline = Date.now() + WAIT_MS;
    while (this.closeCode === null) {
      if (Date.now() > deadline) throw new Error('the socket stayed open');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, deadline - Date.now()).unref();
      });
    }
    return this.closeCode;
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  async auth(devices: Device[], signWith: 'connect' | 'approval' = 'connect'): Promise<any> {
    const hello = await this.next((frame) => frame.type === 'hello');
    this.send({
      type: 'auth',
      credentials: devices.map((device) => ({
        deviceId: device.deviceId,
        signature: signStatement(
          connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: device.deviceId }),
          device[signWith].secretKey,
        ),
      })),
    });
    return this.next((frame) => frame.type === 'ready');
  }

  close(): void {
    this.socket.close(1000);
  }
}

async function connected(device: Device): Promise<Socket> {
  const socket = new Socket();
  const ready = await socket.auth([device]);
  expect(ready.accepted).toEqual([device.deviceId]);
  return socket;
}

function decision(
  device: Device,
  requestId: string,
  fields: { decision: 'approve' | 'deny' | 'report'; number: string; unlock: 'pin' | 'webauthn' | 'none' },
  key: 'approval' | 'connect',
) {
  const signedAt = Date.now();
  const base = { requestId, deviceId: device.deviceId, ...fields, signedAt };
  // decisionStatement refuses approve+none on purpose; a misbehaving device builds it by hand.
  const statement =
    fields.decision === 'approve' && fields.unlock === 'none'
      ? new TextEncoder().encode(
          ['countersign/v1/decision', relay.origin, requestId, device.deviceId, 'approve', fields.number, String(signedAt), 'none'].join(
            '\n',
          ),
        )
      : decisionStatement({ relayOrigin: relay.origin, ...base });
  return { type: 'decision', ...base, signature: signStatement(statement, device[key].secretKey) };
}

async function signIn(upn: string): Promise<{ requestId: string; number: string; browserToken: string; answer: Answer }> {
  const answer = await http('POST', '/api/v1/signins', { upn });
  expect(answer.status).toBe(201);
  return { ...answer.body, answer };
}

/** A new user with one connected device, and a sign-in request its device has been shown. */
async function challenged(): Promise<{ device: Device; socket: Socket; request: Awaited<ReturnType<typeof signIn>> }> {
  const upn = await newUser();
  const device = await pair(upn);
  const socket = await connected(device);
  const request = await signIn(upn);
  await socket.next((frame) => frame.type === 'challenge' && frame.requestId === request.requestId);
  return { device, socket, request };
}

async function status(requestId: string, browserToken: string): Promise<string> {
  const response = await fetch(`${relay.origin}/api/v1/signins/${requestId}`, { headers: { authorization: `Bearer ${browserToken}` } });
  return ((await response.json()) as { status: string }).status;
}

describe('section 3: pairing with two keys', () => {
  it('redeems an offer with an approval key and a different connect key', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const answer = await http(
      'POST',
      '/api/v1/pairings/redeem',
      redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Firefox on Windows'),
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ account: { upn }, relay: { origin: relay.origin } });
    expect(answer.body.deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('answers 400 invalid_request for equal keys, and the offer stays usable', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const same = generateDeviceKeyPair();
    const refused = await http('POST', '/api/v1/pairings/redeem', redeemBody(token, same, same, 'Same keys'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_request');
    const retried = await http(
      'POST',
      '/api/v1/pairings/redeem',
      redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Right keys'),
    );
    expect(retried.status).toBe(201);
  });

  it('answers 401 bad_signature when the connect key signed the pair statement', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const approval = generateDeviceKeyPair();
    const connect = generateDeviceKeyPair();
    const answer = await http('POST', '/api/v1/pairings/redeem', redeemBody(token, approval, connect, 'Wrong signer', connect));
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('bad_signature');
  });

  it('answers 400 invalid_request for a revision-1 body without connectPublicKey', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const { connectPublicKey: _dropped, ...body } = redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Old device');
    const answer = await http('POST', '/api/v1/pairings/redeem', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it('answers 400 invalid_request for a token the relay never issued', async () => {
    const answer = await http(
      'POST',
      '/api/v1/pairings/redeem',
      redeemBody('nEvErIsSuEd0123456789A', generateDeviceKeyPair(), generateDeviceKeyPair(), 'Guess'),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it('answers 409 pairing_used for a second redeem', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    expect(
      (await http('POST', '/api/v1/pairings/redeem', redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'First'))).status,
    ).toBe(201);
    const again = await http(
      'POST',
      '/api/v1/pairings/redeem',
      redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Second'),
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('pairing_used');
  });

  it('sends notice authenticator_added to the other devices, then authenticator_removed', async () => {
    const upn = await newUser();
    const first = await pair(upn);
    const socket = await connected(first);
    const second = await pair(upn, 'Firefox on Windows');
    const added = await socket.next((frame) => frame.type === 'notice');
    expect(added).toMatchObject({ type: 'notice', deviceId: first.deviceId, kind: 'authenticator_added', name: 'Firefox on Windows' });
    expect(typeof added.at).toBe('number');
    const seen = socket.frames.length;
    expect((await http('DELETE', `/api/v1/admin/devices/${second.deviceId}`, undefined, true)).status).toBe(204);
    const removed = await socket.next((frame) => frame.type === 'notice', seen);
    expect(removed).toMatchObject({ deviceId: first.deviceId, kind: 'authenticator_removed', name: 'Firefox on Windows' });
    socket.close();
  });
});

describe('section 4: connecting with the connect key', () => {
  it('accepts auth signed with the connect key', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    socket.close();
  });

  it('rejects auth signed with the approval key and closes 4401', async () => {
    const device = await pair(await newUser());
    const socket = new Socket();
    const ready = await socket.auth([device], 'approval');
    expect(ready.accepted).toEqual([]);
    expect(ready.rejected).toEqual([expect.objectContaining({ deviceId: device.deviceId })]);
    expect(await socket.closed()).toBe(4401);
  });

  it('treats an auth naming the same deviceId twice as malformed, and a valid auth still works after it', async () => {
    const device = await pair(await newUser());
    const socket = new Socket();
    const hello = await socket.next((frame) => frame.type === 'hello');
    const signature = signStatement(
      connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: device.deviceId }),
      device.connect.secretKey,
    );
    socket.send({
      type: 'auth',
      credentials: [
        { deviceId: device.deviceId, signature },
        { deviceId: device.deviceId, signature },
      ],
    });
    const error = await socket.next((frame) => frame.type === 'error');
    expect(error.code).toBe('malformed_frame');
    expect(socket.frames.some((frame) => frame.type === 'ready')).toBe(false);
    socket.send({ type: 'auth', credentials: [{ deviceId: device.deviceId, signature }] });
    const ready = await socket.next((frame) => frame.type === 'ready');
    expect(ready.accepted).toEqual([device.deviceId]);
    socket.close();
  });

  it('treats an auth with 65 entries as malformed', async () => {
    const device = await pair(await newUser());
    const socket = new Socket();
    const hello = await socket.next((frame) => frame.type === 'hello');
    const signature = signStatement(
      connectStatement({ relayOrigin: relay.origin, nonce: hello.nonce, deviceId: device.deviceId }),
      device.connect.secretKey,
    );
    const credentials = Array.from({ length: 65 }, (_, i) => ({
      deviceId: i === 0 ? device.deviceId : `${'x'.repeat(20)}${String(i).padStart(2, '0')}`,
      signature,
    }));
    socket.send({ type: 'auth', credentials });
    const error = await socket.next((frame) => frame.type === 'error');
    expect(error.code).toBe('malformed_frame');
    expect(socket.frames.some((frame) => frame.type === 'ready')).toBe(false);
    socket.close();
  });
});

describe('section 4: decisions by the key the spec allows', () => {
  it('rejects an approve signed with the connect key; the request stays pending and the approval key then approves', async () => {
    const { device, socket, request } = await challenged();
    expect(request.answer.headers.get('cache-control')).toContain('no-store');

    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'pin' }, 'connect'));
    const forged = await socket.next((frame) => frame.type === 'result' && frame.requestId === request.requestId);
    expect(forged).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await status(request.requestId, request.browserToken)).toBe('pending');

    const seen = socket.frames.length;
    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'none' }, 'approval'));
    const unlocked = await socket.next((frame) => frame.type === 'result' && frame.requestId === request.requestId, seen);
    expect(unlocked).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await status(request.requestId, request.browserToken)).toBe('pending');

    const later = socket.frames.length;
    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'pin' }, 'approval'));
    const approved = await socket.next((frame) => frame.type === 'result' && frame.requestId === request.requestId, later);
    expect(approved.outcome).toBe('approved');

    const complete = await fetch(`${relay.origin}/api/v1/signins/${request.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.browserToken}` },
    });
    expect(complete.status).toBe(200);
    expect(complete.headers.get('cache-control')).toContain('no-store');
    expect(((await complete.json()) as { session: { amr: string[] } }).session.amr).toEqual(['swk', 'pin', 'mfa']);
    socket.close();
  });

  it('gives amr hwk for an approval unlocked with WebAuthn', async () => {
    const { device, socket, request } = await challenged();
    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'webauthn' }, 'approval'));
    expect((await socket.next((frame) => frame.type === 'result')).outcome).toBe('approved');
    const complete = await fetch(`${relay.origin}/api/v1/signins/${request.requestId}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.browserToken}` },
    });
    expect(((await complete.json()) as { session: { amr: string[] } }).session.amr).toEqual(['swk', 'hwk', 'mfa']);
    socket.close();
  });

  it('accepts a deny signed with the connect key and unlock none', async () => {
    const { device, socket, request } = await challenged();
    socket.send(decision(device, request.requestId, { decision: 'deny', number: '', unlock: 'none' }, 'connect'));
    expect((await socket.next((frame) => frame.type === 'result')).outcome).toBe('denied');
    expect(await status(request.requestId, request.browserToken)).toBe('denied');
    socket.close();
  });

  it('accepts a report signed with the connect key and unlock none', async () => {
    const { device, socket, request } = await challenged();
    socket.send(decision(device, request.requestId, { decision: 'report', number: '', unlock: 'none' }, 'connect'));
    expect((await socket.next((frame) => frame.type === 'result')).outcome).toBe('reported');
    expect(await status(request.requestId, request.browserToken)).toBe('reported');
    socket.close();
  });

  it('rejects a deny claiming unlock none but signed with the approval key', async () => {
    const { device, socket, request } = await challenged();
    socket.send(decision(device, request.requestId, { decision: 'deny', number: '', unlock: 'none' }, 'approval'));
    expect(await socket.next((frame) => frame.type === 'result')).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await status(request.requestId, request.browserToken)).toBe('pending');
    socket.close();
  });
});

/** A device and its unlocks as section 4a has them, driven by hand. */
async function unlock(socket: Socket, device: Device, pin = CONFORMANCE_PIN): Promise<{ pending: BlindedPin; answer: any }> {
  const pending = blindPin(pin);
  const seen = socket.frames.length;
  socket.send({ type: 'unlock', deviceId: device.deviceId, blinded: pending.blinded });
  const answer = await socket.next(
    (frame) => (frame.type === 'unlocked' || frame.type === 'error') && frame.deviceId === device.deviceId,
    seen,
  );
  return { pending, answer };
}

function proof(device: Device, nonce: string, blinded: string, action: 'unlock-proof' | 'rekey' = 'unlock-proof') {
  const signature = signStatement(
    deviceActionStatement({ relayOrigin: relay.origin, nonce, deviceId: device.deviceId, action, detail: blinded }),
    device.approval.secretKey,
  );
  return { deviceId: device.deviceId, blinded, signature };
}

function helloNonce(socket: Socket): string {
  return socket.frames.find((frame) => frame.type === 'hello').nonce;
}

/** Sends a frame and expects nothing but an `error` for it (no `unlocked`, `rekeyed` or `result`). */
async function refused(socket: Socket, frame: unknown): Promise<any> {
  const seen = socket.frames.length;
  socket.send(frame);
  const error = await socket.next((f) => f.type === 'error' || f.type === 'unlocked' || f.type === 'rekeyed', seen);
  expect(error.type).toBe('error');
  return error;
}

describe('section 3 and 4a: pairing evaluates the blinded PIN', () => {
  it('answers pinEvaluated, a valid element that the device finishes to the same output as a later unlock', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const approval = generateDeviceKeyPair();
    const connect = generateDeviceKeyPair();
    const pending = blindPin(CONFORMANCE_PIN);
    const body = { ...redeemBody(token, approval, connect, 'PIN device'), pinBlinded: pending.blinded };
    const answer = await http('POST', '/api/v1/pairings/redeem', body);
    expect(answer.status).toBe(201);
    expect(answer.body.pinEvaluated).toMatch(/^[A-Za-z0-9_-]{44}$/);
    const atPairing = finishPin(CONFORMANCE_PIN, pending, answer.body.pinEvaluated);
    const device = { deviceId: answer.body.deviceId, approval, connect };
    const socket = await connected(device);
    const later = await unlock(socket, device);
    expect(later.answer.type).toBe('unlocked');
    expect(finishPin(CONFORMANCE_PIN, later.pending, later.answer.evaluated)).toEqual(atPairing);
    const wrong = await unlock(socket, device, '000000');
    expect(finishPin('000000', wrong.pending, wrong.answer.evaluated)).not.toEqual(atPairing);
    socket.close();
  });

  it('answers 400 invalid_request for a redeem without pinBlinded or with one that is not a point, and the offer stays usable', async () => {
    const upn = await newUser();
    const { token } = await offer(upn);
    const { pinBlinded: _dropped, ...withoutPin } = redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'No PIN');
    const missing = await http('POST', '/api/v1/pairings/redeem', withoutPin);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_request');
    const notAPoint = { ...redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Bad PIN'), pinBlinded: 'A'.repeat(44) };
    const invalid = await http('POST', '/api/v1/pairings/redeem', notAPoint);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_request');
    const retried = await http(
      'POST',
      '/api/v1/pairings/redeem',
      redeemBody(token, generateDeviceKeyPair(), generateDeviceKeyPair(), 'Right'),
    );
    expect(retried.status).toBe(201);
  });
});

describe('section 4a: unlock, proof and counting', () => {
  it('evaluates on an authenticated socket and counts the attempt until its proof clears it', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    const first = await unlock(socket, device);
    expect(first.answer).toMatchObject({ type: 'unlocked', deviceId: device.deviceId, attemptsLeft: 9 });
    expect(first.answer.evaluated).toMatch(/^[A-Za-z0-9_-]{44}$/);
    const second = await unlock(socket, device);
    expect(second.answer.attemptsLeft).toBe(8);
    socket.send({ type: 'unlock_proof', ...proof(device, helloNonce(socket), second.pending.blinded) });
    const third = await unlock(socket, device);
    // The proof cleared both earlier attempts on this socket.
    expect(third.answer.attemptsLeft).toBe(9);
    socket.close();
  });

  it('refuses unlock before auth, and for a device this socket has not accepted', async () => {
    const upn = await newUser();
    const device = await pair(upn);
    const other = await pair(await newUser());
    const early = new Socket();
    await early.next((frame) => frame.type === 'hello');
    early.send({ type: 'unlock', deviceId: device.deviceId, blinded: blindPin(CONFORMANCE_PIN).blinded });
    const outcome = await Promise.race([early.closed().then((code) => ({ code })), early.next((frame) => frame.type === 'error')]);
    expect(early.frames.some((frame) => frame.type === 'unlocked')).toBe(false);
    expect(outcome).toBeTruthy();
    early.close();

    const socket = await connected(device);
    const error = await refused(socket, { type: 'unlock', deviceId: other.deviceId, blinded: blindPin(CONFORMANCE_PIN).blinded });
    expect(error.code).toBeTruthy();
    socket.close();
  });

  it('refuses an element that is not a point, and changes nothing', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    const notOnCurve = Buffer.from(Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)])).toString('base64url');
    await refused(socket, { type: 'unlock', deviceId: device.deviceId, blinded: notOnCurve });
    expect((await unlock(socket, device)).answer.attemptsLeft).toBe(9);
    socket.close();
  });

  it('refuses a proof signed over another socket nonce, a proof by the connect key, and a replayed proof', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    const otherSocket = await connected(device);
    const attempt = await unlock(socket, device);
    await refused(socket, { type: 'unlock_proof', ...proof(device, helloNonce(otherSocket), attempt.pending.blinded) });
    const byConnect = signStatement(
      deviceActionStatement({
        relayOrigin: relay.origin,
        nonce: helloNonce(socket),
        deviceId: device.deviceId,
        action: 'unlock-proof',
        detail: attempt.pending.blinded,
      }),
      device.connect.secretKey,
    );
    await refused(socket, { type: 'unlock_proof', deviceId: device.deviceId, blinded: attempt.pending.blinded, signature: byConnect });
    // Still unproven: the next attempt leaves 8.
    const next = await unlock(socket, device);
    expect(next.answer.attemptsLeft).toBe(8);
    const valid = proof(device, helloNonce(socket), next.pending.blinded);
    socket.send({ type: 'unlock_proof', ...valid });
    expect((await unlock(socket, device)).answer.attemptsLeft).toBe(9);
    await refused(socket, { type: 'unlock_proof', ...valid });
    socket.close();
    otherSocket.close();
  });

  it('makes an unproven attempt a failure when its socket closes, tells every device, and the proof on another socket does not clear it', async () => {
    const upn = await newUser();
    const device = await pair(upn);
    const watcher = await pair(upn, 'Watching device');
    const watching = await connected(watcher);
    const thief = await connected(device);
    await unlock(thief, device, '111111');
    thief.close();
    const notice = await watching.next((frame) => frame.type === 'notice' && frame.kind === 'pin_failure');
    expect(notice.deviceId).toBe(watcher.deviceId);
    const owner = await connected(device);
    const attempt = await unlock(owner, device);
    expect(attempt.answer.attemptsLeft).toBe(8);
    owner.send({ type: 'unlock_proof', ...proof(device, helloNonce(owner), attempt.pending.blinded) });
    // The failure is final: after the owner's proof, 10 − 1 failure − 1 new unproven attempt.
    expect((await unlock(owner, device)).answer.attemptsLeft).toBe(8);
    owner.close();
    watching.close();
  });

  it('locks PIN approvals after 10 failures, and WebAuthn approvals still work', async () => {
    const upn = await newUser();
    const device = await pair(upn);
    const watcher = await pair(upn, 'Watching device');
    const watching = await connected(watcher);
    const failures = () => watching.frames.filter((frame) => frame.type === 'notice' && frame.kind === 'pin_failure').length;
    for (let round = 0; round < 10; round++) {
      const thief = await connected(device);
      const attempt = await unlock(thief, device, String(200_000 + round));
      expect(attempt.answer.type).toBe('unlocked');
      thief.close();
      // The close makes the attempt a failure; the notice says it has been counted.
      await watching.next(() => failures() === round + 1);
    }
    await watching.next((frame) => frame.type === 'notice' && frame.kind === 'pin_locked');
    watching.close();
    const socket = await connected(device);
    const locked = await unlock(socket, device);
    expect(locked.answer).toMatchObject({ type: 'error', code: 'pin_locked', deviceId: device.deviceId });
    const request = await signIn(upn);
    await socket.next((frame) => frame.type === 'challenge' && frame.requestId === request.requestId);
    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'pin' }, 'approval'));
    expect(await socket.next((frame) => frame.type === 'result' && frame.requestId === request.requestId)).toMatchObject({
      outcome: 'rejected',
    });
    expect(await status(request.requestId, request.browserToken)).toBe('pending');
    const seen = socket.frames.length;
    socket.send(decision(device, request.requestId, { decision: 'approve', number: request.number, unlock: 'webauthn' }, 'approval'));
    expect((await socket.next((frame) => frame.type === 'result' && frame.requestId === request.requestId, seen)).outcome).toBe('approved');
    const user = await http('GET', `/api/v1/admin/users/${encodeURIComponent(upn)}`, undefined, true);
    expect(user.body.devices[0].pinLocked).toBe(true);
    socket.close();
  });

  it('serves no evaluation while the unproven attempts use up what is left (pin_attempts)', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    for (let round = 0; round < 10; round++) expect((await unlock(socket, device, '999999')).answer.attemptsLeft).toBe(9 - round);
    expect((await unlock(socket, device)).answer).toMatchObject({ type: 'error', code: 'pin_attempts', deviceId: device.deviceId });
    socket.close();
  });

  it('rekeys: the new key evaluates the new PIN, the old key is forgotten', async () => {
    const device = await pair(await newUser());
    const socket = await connected(device);
    const before = await unlock(socket, device);
    const oldOutput = finishPin(CONFORMANCE_PIN, before.pending, before.answer.evaluated);
    socket.send({ type: 'unlock_proof', ...proof(device, helloNonce(socket), before.pending.blinded) });
    const pending = blindPin('864200');
    const seen = socket.frames.length;
    socket.send({ type: 'rekey', ...proof(device, helloNonce(socket), pending.blinded, 'rekey') });
    const rekeyed = await socket.next((frame) => frame.type === 'rekeyed' || frame.type === 'error', seen);
    expect(rekeyed).toMatchObject({ type: 'rekeyed', deviceId: device.deviceId });
    const newOutput = finishPin('864200', pending, rekeyed.evaluated);
    const after = await unlock(socket, device);
    expect(finishPin(CONFORMANCE_PIN, after.pending, after.answer.evaluated)).not.toEqual(oldOutput);
    const confirm = await unlock(socket, device, '864200');
    expect(finishPin('864200', confirm.pending, confirm.answer.evaluated)).toEqual(newOutput);
    socket.send({ type: 'unlock_proof', ...proof(device, helloNonce(socket), confirm.pending.blinded) });
    socket.close();
  });

  it('rejects a fifth authenticated socket for one device with rate_limited', async () => {
    const device = await pair(await newUser());
    const sockets = [];
    for (let i = 0; i < 4; i++) sockets.push(await connected(device));
    const fifth = new Socket();
    const ready = await fifth.auth([device]);
    expect(ready.accepted).toEqual([]);
    expect(ready.rejected).toEqual([{ deviceId: device.deviceId, code: 'rate_limited' }]);
    for (const socket of sockets) socket.close();
    fifth.close();
  });
});

describe('relay origin (section 3)', () => {
  it('refuses to start with a plain-http origin off loopback', async () => {
    const started = startRelayProcess({ RELAY_ORIGIN: 'http://id.example.com' });
    await expect(started).rejects.toBeInstanceOf(RelayExitError);
    const error = (await started.catch((caught: unknown) => caught)) as RelayExitError;
    expect(error.code).not.toBe(0);
    expect(error.output).toMatch(/ALLOW_INSECURE_ORIGIN/);
  }, 30_000);

  it('starts with a warning when ALLOW_INSECURE_ORIGIN=1', async () => {
    const insecure = await startRelayProcess({ RELAY_ORIGIN: 'http://id.example.com', ALLOW_INSECURE_ORIGIN: '1' });
    try {
      expect(insecure.output()).toMatch(/warning/i);
    } finally {
      await insecure.stop();
    }
  }, 30_000);
});
