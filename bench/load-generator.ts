import { REDEEM_PAIRING_PATH } from '../protocol/paths.ts';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { parsePairingLink } from '../protocol/index.ts';
import { authFrame, buildDecision, preparePairing, rawKeyCrypto, secretKeySigner, type StatementSigner } from '../protocol/device/index.ts';
import { BrowserClient } from './browser-client.ts';
import type { GeneratorCommand, GeneratorReply, RunStats, SigninRecord } from './messages.ts';

/**
 * One load-generator process (forked by bench/run.ts): it holds a slice of the devices, each a
 * lean socket speaking docs/protocol.md section 4 through the device core's pairing, `auth` and
 * `decision` builders (noble signatures, as the extension makes them: one per connect, one per
 * decision), and plays the browsers of its own devices' sign-ins. The socket stays a bare `ws`
 * without the core's RelayConnection: thousands of them, no reconnects, no frame validation.
 * The relay and the baseline get the very same client code, so the client's cost is equal on
 * both sides.
 */

interface BenchDevice {
  index: number;
  upn: string;
  deviceId: string;
  /** Signs every approve (unlock 'pin'). */
  approval: StatementSigner;
  /** Signs the `connect` statement. */
  connect: StatementSigner;
  socket: WebSocket | null;
  /** Which instance this device's socket is on (instances mode). */
  instance: number;
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
let publicOrigin = '';

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
    const { body, approvalKey, connectKey } = await preparePairing({ offer: link, deviceName: 'Bench device', crypto: rawKeyCrypto });
    const redeemed = await client.request(command.origin, 'POST', REDEEM_PAIRING_PATH, body);
    if (redeemed.status !== 201) throw new Error(`redeem for ${upn}: ${redeemed.status} ${JSON.stringify(redeemed.body)}`);
    // The bench keeps both secrets in memory for the whole run (the extension would wrap the approval key).
    devices.push({
      index,
      upn,
      deviceId: (redeemed.body as { deviceId: string }).deviceId,
      approval: secretKeySigner(approvalKey.secretKey, approvalKey.publicKey),
      connect: rawKeyCrypto.connectSigner(connectKey.key, connectKey.publicKey),
      socket: null,
      instance: 0,
    });
  });
  client.close();
  devices.sort((a, b) => a.index - b.index);
  reply({ cmd: 'paired', count: devices.length });
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
          authFrame({
            relayOrigin: publicOrigin,
            nonce: message.nonce as string,
            accounts: [{ deviceId: device.deviceId, connect: device.connect }],
          })
            .then((auth) => socket.send(JSON.stringify(auth)))
            .catch(reject);
          return;
        case 'ready':
          clearTimeout(timer);
          if ((message.accepted as string[]).includes(device.deviceId)) resolve();
          else reject(new Error(`device ${device.index} rejected: ${JSON.stringify(message.rejected)}`));
          return;
        case 'challenge':
          onChallenge(device, message.requestId as string);
          return;
        case 'result':
          if (message.outcome === 'approved')
            approvedResults.set(message.requestId as string, (approvedResults.get(message.requestId as string) ?? 0) + 1);
          else otherResults += 1;
          return;
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong', t: message.t }));
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

/** What the user does: types the number shown by the browser and approves, signed. */
function answer(requestId: string, flight: InFlight): void {
  if (flight.answered || !flight.challenged || flight.number === undefined) return;
  flight.answered = true;
  const { device } = flight;
  buildDecision({
    relayOrigin: publicOrigin,
    requestId,
    deviceId: device.deviceId,
    decision: 'approve',
    number: flight.number,
    signedAt: Date.now(),
    unlock: 'pin',
    signer: device.approval,
  })
    .then((decision) => device.socket?.send(JSON.stringify(decision)))
    // A sign-in whose decision never went out shows up as a failure of its browser's wait.
    .catch(() => undefined);
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

async function run(command: Extract<GeneratorCommand, { cmd: 'run' }>): Promise<void> {
  inFlight.clear();
  approvedResults.clear();
  duplicateChallenges = 0;
  otherResults = 0;
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
        const created = await client.request(origin, 'POST', '/api/v1/signins', body);
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
        const status = await client.outcome(origin, requestId, signin.browserToken);
        record.seen = status;
        const finished = performance.now();
        if (status !== 'approved') fail(`status_${status}`);
        else if (finished >= measureFrom && finished <= endAt) latencies.push(finished - began);
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
  const cpu = cpuAtEnd ?? process.cpuUsage(cpuAtMeasure);
  const stats: RunStats = {
    latencies,
    failures,
    failureKinds,
    records,
    approvedResults: Object.fromEntries(approvedResults),
    duplicateChallenges,
    otherResults,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  reply({ cmd: 'ran', stats });
}

async function disconnect(): Promise<void> {
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
          : command.cmd === 'disconnect'
            ? disconnect()
            : Promise.resolve(process.exit(0));
  work.catch((error: unknown) => reply({ cmd: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});

// Keys never leave this process; only ids, counts and timings go back to the parent.
reply({ cmd: 'started' });
