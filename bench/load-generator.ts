import { REDEEM_PAIRING_PATH } from '../protocol/paths.ts';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { p256 } from '@noble/curves/nist.js';
import { fromBase64Url, parsePairingLink, toBase64Url } from '../protocol/index.ts';
import {
  authFrame,
  buildDecision,
  preparePairing,
  rawKeyCrypto,
  secretKeySigner,
  unlockProofFrame,
  type StatementSigner,
} from '../protocol/device/index.ts';
import { blindPin } from '../protocol/pin-oprf.ts';
import { BrowserClient, cookieFrom } from './browser-client.ts';
import type { GeneratorCommand, GeneratorReply, RunStats, SigninRecord } from './messages.ts';

/**
 * One load-generator process (forked by bench/run.ts): it holds a slice of the devices, each a
 * lean socket speaking docs/protocol.md section 4 through the device core's pairing, `auth` and
 * `decision` builders (noble signatures, as the extension makes them: one per connect, one per
 * decision), and plays the browsers of its own devices' sign-ins. The socket stays a bare `ws`
 * without the core's RelayConnection: thousands of them, no reconnects, no frame validation.
 * The relay and the baseline get the very same client code, so the client's cost is equal on
 * both sides.
 *
 * Every approval unlocks as a real device does (section 4a): `unlock` with a fresh blinded PIN
 * element, the relay's evaluation, an `unlock_proof` signed by the approval key over the socket's
 * nonce, then the decision. The relay's cost is the real one; the client's is kept low. A real
 * device blinds (hash to curve + a scalar multiplication) and finalizes (an inversion and a
 * multiplication), about 8 ms of noble per approval, which at hundreds of approvals per second
 * would make the load generator the bottleneck. So each bench device blinds its PIN once, at
 * pairing (B₁ = r·H(pin), evaluated Z₁ = k·B₁ at redeem), and its i-th approval sends
 * Bᵢ = Bᵢ₋₁ + B₁ = i·r·H(pin): a valid, distinct blinding of the same PIN (blind i·r), so every
 * `unlock` and every proof is new to the relay. It then checks the relay's answer against
 * Zᵢ = Zᵢ₋₁ + Z₁ = k·Bᵢ: equal exactly when finalizing with blind i·r would give the OPRF output of
 * pairing, i.e. when the unwrap would succeed. Two point additions instead of 8 ms. The approval
 * key itself stays in memory for the run (a real device would unwrap it).
 */

/** The PIN the bench devices pair with; any digits do. */
const BENCH_PIN = '123456';

/** The device's running blinding (see above): Bᵢ and the Zᵢ the relay must answer with. */
interface PinStepper {
  first: { blinded: InstanceType<typeof p256.Point>; evaluated: InstanceType<typeof p256.Point> };
  blinded: InstanceType<typeof p256.Point>;
  evaluated: InstanceType<typeof p256.Point>;
}

interface BenchDevice {
  index: number;
  upn: string;
  deviceId: string;
  /** Signs every approve (unlock 'pin'). */
  approval: StatementSigner;
  /** Signs the `connect` statement. */
  connect: StatementSigner;
  socket: WebSocket | null;
  /** The `hello` nonce of `socket`: the unlock proof is signed over it. */
  nonce: string;
  /** Which instance this device's socket is on (instances mode). */
  instance: number;
  pin: PinStepper;
  /** The approval waiting for this device's `unlocked` (one at a time: a device belongs to one loop). */
  unlocking: { requestId: string; blinded: string; expected: string; number: string } | null;
  /** Its browser's familiar-browser cookie (`name=value`), once a sign-in there completed (`run` with `familiar`). */
  familiarCookie?: string;
  /** The proof and decision sent and not yet answered by a `result`: sent again after `error unavailable`. */
  deciding: { requestId: string; frames: string[]; retried: boolean } | null;
}

interface InFlight {
  device: BenchDevice;
  number: string | undefined;
  /** A challenge that came before the create answer told us the number. */
  challenged: boolean;
  answered: boolean;
}

const devices: BenchDevice[] = [];
const inFlight = new Map<string, InFlight>();
/** requestId → approved results seen at the device (exactly one is right). */
const approvedResults = new Map<string, number>();
let duplicateChallenges = 0;
let otherResults = 0;
let otherOutcomes: Record<string, number> = {};
/** Relay refusals of an unlock (`pin_attempts`, …) and wrong evaluations, by code. */
let unlockFailures: Record<string, number> = {};
/** Frames sent again after the relay said `unavailable` (its database was away for a moment). */
let retriedFrames = 0;
/** How long a device waits before sending again what the relay could not handle. */
const RETRY_AFTER_MS = 250;
let publicOrigin = '';
/** The baseline answers `unlock` with a stand-in evaluation: nothing to check there. */
let checkEvaluations = true;

function reply(message: GeneratorReply): void {
  process.send!(message);
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function pair(command: Extract<GeneratorCommand, { cmd: 'pair' }>): Promise<void> {
  const client = new BrowserClient(command.poolSize);
  await pool(command.upns, command.poolSize, async ({ index, upn }) => {
    const created = await client.request(
      command.origin,
      'POST',
      '/api/v1/admin/users',
      { upn, displayName: `Bench ${index}` },
      command.adminToken,
    );
    if (created.status !== 201) throw new Error(`create user ${upn}: ${created.status} ${JSON.stringify(created.body)}`);
    const offer = await client.request(
      command.origin,
      'POST',
      `/api/v1/admin/users/${encodeURIComponent(upn)}/pairings`,
      undefined,
      command.adminToken,
    );
    if (offer.status !== 201) throw new Error(`pairing for ${upn}: ${offer.status}`);
    const link = parsePairingLink((offer.body as { link: string }).link)!;
    const pending = blindPin(BENCH_PIN);
    pending.blind.fill(0); // never finalized: the stepper checks evaluations instead (see the top)
    const { body, approvalKey, connectKey } = await preparePairing({
      offer: link,
      deviceName: 'Bench device',
      crypto: rawKeyCrypto,
      pinBlinded: pending.blinded,
    });
    const redeemed = await client.request(command.origin, 'POST', REDEEM_PAIRING_PATH, body);
    if (redeemed.status !== 201) throw new Error(`redeem for ${upn}: ${redeemed.status} ${JSON.stringify(redeemed.body)}`);
    const answer = redeemed.body as { deviceId: string; pinEvaluated: string };
    const first = { blinded: point(pending.blinded), evaluated: point(answer.pinEvaluated) };
    // The bench keeps both secrets in memory for the whole run (the extension would wrap the approval key).
    devices.push({
      index,
      upn,
      deviceId: answer.deviceId,
      approval: secretKeySigner(approvalKey.secretKey, approvalKey.publicKey),
      connect: rawKeyCrypto.connectSigner(connectKey.key, connectKey.publicKey),
      socket: null,
      nonce: '',
      instance: 0,
      pin: { first, blinded: first.blinded, evaluated: first.evaluated },
      unlocking: null,
      deciding: null,
    });
  });
  client.close();
  devices.sort((a, b) => a.index - b.index);
  reply({ cmd: 'paired', count: devices.length });
}

/** Answers a socket's `hello` with the device's `auth` (its connect key over the nonce). */
async function answerHello(socket: WebSocket, device: BenchDevice, nonce: string): Promise<void> {
  const auth = await authFrame({ relayOrigin: publicOrigin, nonce, accounts: [{ deviceId: device.deviceId, connect: device.connect }] });
  socket.send(JSON.stringify(auth));
}

function connectDevice(device: BenchDevice, url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    device.socket = socket;
    const timer = setTimeout(() => reject(new Error(`device ${device.index}: no ready in ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      if (device.socket === socket) device.socket = null;
    });
    socket.on('message', (data) => {
      // Only text frames arrive here, and ws hands them over as one Buffer.
      const message = JSON.parse((data as Buffer).toString('utf8')) as { type: string; [key: string]: unknown };
      switch (message.type) {
        case 'hello':
          device.nonce = message.nonce as string;
          answerHello(socket, device, message.nonce as string).catch(reject);
          return;
        case 'ready':
          clearTimeout(timer);
          if ((message.accepted as string[]).includes(device.deviceId)) resolve();
          else reject(new Error(`device ${device.index} rejected: ${JSON.stringify(message.rejected)}`));
          return;
        case 'challenge':
          onChallenge(device, message.requestId as string);
          return;
        case 'result': {
          const retried = device.deciding?.requestId === message.requestId && device.deciding?.retried === true;
          if (device.deciding?.requestId === message.requestId) device.deciding = null;
          if (message.outcome === 'approved')
            approvedResults.set(message.requestId as string, (approvedResults.get(message.requestId as string) ?? 0) + 1);
          // A decision sent again may find its first copy applied after all.
          else if (!(retried && message.outcome === 'already_decided')) {
            otherResults += 1;
            const kind = `${message.outcome as string}${message.code ? `_${message.code as string}` : ''}`;
            otherOutcomes[kind] = (otherOutcomes[kind] ?? 0) + 1;
          }
          return;
        }
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong', t: message.t }));
          return;
        case 'unlocked':
          onUnlocked(device, message.evaluated as string);
          return;
        case 'error':
          if (message.code === 'unavailable') {
            retryAfterUnavailable(device, socket);
            return;
          }
          if (message.deviceId === device.deviceId && device.unlocking) {
            device.unlocking = null;
            unlockFailures[message.code as string] = (unlockFailures[message.code as string] ?? 0) + 1;
          }
          return;
        default:
          return;
      }
    });
  });
}

function onChallenge(device: BenchDevice, requestId: string): void {
  let flight = inFlight.get(requestId);
  if (!flight) {
    // The push outran the create answer: remember it, answer when the number is known.
    flight = { device, number: undefined, challenged: false, answered: false };
    inFlight.set(requestId, flight);
  }
  if (flight.challenged) duplicateChallenges += 1;
  flight.challenged = true;
  answer(requestId, flight);
}

/** What the user does: types the PIN (one `unlock`) and the number shown by the browser, and approves. */
function answer(requestId: string, flight: InFlight): void {
  if (flight.answered || !flight.challenged || flight.number === undefined) return;
  flight.answered = true;
  const { device } = flight;
  const { pin } = device;
  // The next blinding of the same PIN and the evaluation the relay owes for it (see the top).
  pin.blinded = pin.blinded.add(pin.first.blinded);
  pin.evaluated = pin.evaluated.add(pin.first.evaluated);
  const blinded = toBase64Url(pin.blinded.toBytes(true));
  device.unlocking = { requestId, blinded, expected: toBase64Url(pin.evaluated.toBytes(true)), number: flight.number };
  device.socket?.send(JSON.stringify({ type: 'unlock', deviceId: device.deviceId, blinded }));
}

/** The relay's evaluation: check it as the unwrap would, prove the attempt, then decide. */
function onUnlocked(device: BenchDevice, evaluated: string): void {
  const unlocking = device.unlocking;
  if (!unlocking) return;
  device.unlocking = null;
  if (checkEvaluations && evaluated !== unlocking.expected) {
    // A wrong evaluation would fail the GCM tag: a real device says "wrong PIN" and signs nothing.
    unlockFailures.wrong_evaluation = (unlockFailures.wrong_evaluation ?? 0) + 1;
    return;
  }
  const socket = device.socket;
  const nonce = device.nonce;
  Promise.all([
    unlockProofFrame({ relayOrigin: publicOrigin, nonce, deviceId: device.deviceId, blinded: unlocking.blinded, signer: device.approval }),
    buildDecision({
      relayOrigin: publicOrigin,
      requestId: unlocking.requestId,
      deviceId: device.deviceId,
      decision: 'approve',
      number: unlocking.number,
      signedAt: Date.now(),
      unlock: 'pin',
      signer: device.approval,
    }),
  ])
    .then(([proof, decision]) => {
      // The proof must travel on the socket that carried the attempt, before the decision.
      if (!socket || socket !== device.socket || nonce !== device.nonce) return;
      const frames = [JSON.stringify(proof), JSON.stringify(decision)];
      device.deciding = { requestId: unlocking.requestId, frames, retried: false };
      for (const frame of frames) socket.send(frame);
    })
    // A sign-in whose decision never went out shows up as a failure of its browser's wait.
    .catch(() => undefined);
}

/**
 * What a device does when the relay says `unavailable` (its database was away for a moment): it
 * sends again, shortly, the unlock or the proof and decision still waiting for an answer. The
 * error names no request; frames of one socket are answered in order, so a decision's `result`
 * that follows the error clears it before the retry looks.
 */
function retryAfterUnavailable(device: BenchDevice, socket: WebSocket): void {
  setTimeout(() => {
    if (device.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
    if (device.unlocking) {
      retriedFrames += 1;
      socket.send(JSON.stringify({ type: 'unlock', deviceId: device.deviceId, blinded: device.unlocking.blinded }));
    } else if (device.deciding) {
      retriedFrames += 1;
      device.deciding.retried = true;
      for (const frame of device.deciding.frames) socket.send(frame);
    }
  }, RETRY_AFTER_MS);
}

function point(element: string): InstanceType<typeof p256.Point> {
  return p256.Point.fromBytes(fromBase64Url(element));
}

async function connect(command: Extract<GeneratorCommand, { cmd: 'connect' }>): Promise<void> {
  publicOrigin = command.publicOrigin;
  const started = performance.now();
  let failures = 0;
  let firstError: string | undefined;
  await pool(devices, command.poolSize, async (device) => {
    device.instance = device.index % command.socketUrls.length;
    try {
      await connectDevice(device, command.socketUrls[device.instance]!, 20_000);
    } catch (error) {
      failures += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  });
  reply({
    cmd: 'connected',
    connected: devices.length - failures,
    failures,
    seconds: (performance.now() - started) / 1000,
    ...(firstError ? { firstError } : {}),
  });
}

/**
 * The browser's wait for the outcome, reopening the stream as EventSource does when the relay
 * could not serve it (`503 unavailable` while its database was away), for up to 15 s in all.
 */
async function outcomeReconnecting(
  client: BrowserClient,
  origin: string,
  requestId: string,
  browserToken: string,
  cookie: Record<string, string>,
): Promise<string> {
  const giveUpAt = performance.now() + 15_000;
  for (;;) {
    try {
      return await client.outcome(origin, requestId, browserToken, Math.max(1, giveUpAt - performance.now()), cookie);
    } catch (error) {
      if (!(error instanceof Error) || !/events answered 503/.test(error.message) || performance.now() + RETRY_AFTER_MS >= giveUpAt)
        throw error;
      retriedFrames += 1;
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
    }
  }
}

async function run(command: Extract<GeneratorCommand, { cmd: 'run' }>): Promise<void> {
  inFlight.clear();
  approvedResults.clear();
  duplicateChallenges = 0;
  otherResults = 0;
  otherOutcomes = {};
  unlockFailures = {};
  retriedFrames = 0;
  checkEvaluations = command.kind === 'relay';
  const client = new BrowserClient(command.concurrency * 2 + 4);
  const startAt = performance.now();
  const measureFrom = startAt + command.warmupMs;
  const endAt = measureFrom + command.durationMs;
  const latencies: number[] = [];
  const records: SigninRecord[] = [];
  let failures = 0;
  const failureKinds: Record<string, number> = {};
  const fail = (kind: string) => {
    failures += 1;
    failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
  };
  const instances = command.apiOrigins.length;
  let cpuAtMeasure: NodeJS.CpuUsage | undefined;
  const cpuTimer = setTimeout(() => (cpuAtMeasure = process.cpuUsage()), command.warmupMs);
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  const endTimer = setTimeout(() => (cpuAtEnd = process.cpuUsage(cpuAtMeasure)), command.warmupMs + command.durationMs);

  const loop = async (loopIndex: number) => {
    const mine = devices.filter((_, i) => i % command.concurrency === loopIndex);
    if (mine.length === 0) return;
    for (let turn = 0; performance.now() < endAt; turn++) {
      const device = mine[turn % mine.length]!;
      // Instances mode: the browser talks to another instance than the one holding the device.
      const origin = command.apiOrigins[(device.instance + (instances > 1 ? 1 : 0)) % instances]!;
      const began = performance.now();
      let requestId: string | undefined;
      try {
        const body = command.kind === 'baseline' ? { upn: device.upn, deviceId: device.deviceId } : { upn: device.upn };
        const cookie: Record<string, string> = device.familiarCookie ? { cookie: device.familiarCookie } : {};
        const created = await client.request(origin, 'POST', '/api/v1/signins', body, undefined, 15_000, cookie);
        if (created.status !== 201) {
          fail(`create_${created.status}_${(created.body as { error?: { code?: string } })?.error?.code ?? ''}`);
          continue;
        }
        const signin = created.body as { requestId: string; number: string; browserToken: string };
        requestId = signin.requestId;
        const record: SigninRecord = { requestId, deviceId: device.deviceId, seen: null };
        records.push(record);
        let flight = inFlight.get(requestId);
        if (!flight) inFlight.set(requestId, (flight = { device, number: undefined, challenged: false, answered: false }));
        flight.number = signin.number;
        answer(requestId, flight);
        const status = await outcomeReconnecting(client, origin, requestId, signin.browserToken, cookie);
        record.seen = status;
        const finished = performance.now();
        if (status !== 'approved') fail(`status_${status}`);
        else if (finished >= measureFrom && finished <= endAt) latencies.push(finished - began);
        if (status === 'approved' && command.familiar && !device.familiarCookie) {
          // The browser's first sign-in: completing it makes the browser familiar (outside the round trip measured).
          const completed = await client.request(origin, 'POST', `/api/v1/signins/${requestId}/complete`, undefined, signin.browserToken);
          device.familiarCookie = cookieFrom(completed, 'countersign_familiar');
          if (!device.familiarCookie) fail(`complete_${completed.status}_no_familiar_cookie`);
        }
      } catch (error) {
        fail(error instanceof Error ? error.message.replace(/[0-9]+/g, 'N').slice(0, 60) : 'error');
      } finally {
        if (requestId) inFlight.delete(requestId);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, (_, i) => loop(i)));
  clearTimeout(cpuTimer);
  clearTimeout(endTimer);
  // A result frame may trail the browser's event by a moment.
  const settleBy = performance.now() + 2_000;
  while (
    performance.now() < settleBy &&
    [...approvedResults.values()].reduce((a, b) => a + b, 0) < records.filter((r) => r.seen === 'approved').length
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  client.close();
  // Their sign-ins are failures already (the browser saw no approval); this says why.
  for (const [code, count] of Object.entries(unlockFailures)) failureKinds[`unlock_${code}`] = count;
  const cpu = cpuAtEnd ?? process.cpuUsage(cpuAtMeasure);
  const stats: RunStats = {
    latencies,
    failures,
    failureKinds,
    records,
    approvedResults: Object.fromEntries(approvedResults),
    duplicateChallenges,
    otherResults,
    otherOutcomes,
    retries: retriedFrames,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  reply({ cmd: 'ran', stats });
}

/** Sockets opened by `capSockets` beyond each device's first (closed with the rest). */
const extraSockets: WebSocket[] = [];

/** Opens one more authenticated socket for `device`: resolves with whether the relay accepted it. */
function extraSocket(device: BenchDevice, url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    extraSockets.push(socket);
    const timer = setTimeout(() => reject(new Error(`device ${device.index}: no ready in ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as { type: string; [key: string]: unknown };
      if (message.type === 'hello') {
        answerHello(socket, device, message.nonce as string).catch(reject);
      } else if (message.type === 'ready') {
        clearTimeout(timer);
        resolve((message.accepted as string[]).includes(device.deviceId));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong', t: message.t }));
      }
    });
  });
}

async function capSockets(command: Extract<GeneratorCommand, { cmd: 'capSockets' }>): Promise<void> {
  let opened = 0;
  let overCapRejected = 0;
  let overCapAccepted = 0;
  let failures = 0;
  await pool(devices.slice(0, command.devices), 64, async (device) => {
    try {
      for (let socket = 1; socket < command.cap; socket++) if (await extraSocket(device, command.socketUrl, 20_000)) opened += 1;
      if (await extraSocket(device, command.socketUrl, 20_000)) overCapAccepted += 1;
      else overCapRejected += 1;
    } catch {
      failures += 1;
    }
  });
  reply({ cmd: 'capped', opened, overCapRejected, overCapAccepted, failures });
}

async function disconnect(): Promise<void> {
  for (const socket of extraSockets.splice(0)) socket.terminate();
  await Promise.all(
    devices.map(
      (device) =>
        new Promise<void>((resolve) => {
          const socket = device.socket;
          if (!socket || socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close(1000, 'bench done');
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 3_000).unref();
        }),
    ),
  );
  reply({ cmd: 'disconnected' });
}

process.on('message', (command: GeneratorCommand) => {
  const work =
    command.cmd === 'pair'
      ? pair(command)
      : command.cmd === 'connect'
        ? connect(command)
        : command.cmd === 'run'
          ? run(command)
          : command.cmd === 'capSockets'
            ? capSockets(command)
            : command.cmd === 'disconnect'
              ? disconnect()
              : Promise.resolve(process.exit(0));
  work.catch((error: unknown) => reply({ cmd: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});

// Keys never leave this process; only ids, counts and timings go back to the parent.
reply({ cmd: 'started' });
