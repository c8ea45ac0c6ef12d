import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DecisionMessage } from '../../protocol/index.ts';
import { ID_PATTERN } from '../../protocol/encoding.ts';
import { parse } from '../../protocol/parse.ts';
import { CLOSE_CODES, LIMITS } from '../../protocol/limits.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';
import { pairKeys, decisionFrame } from '../integration/helpers/paired-keys.ts';
import { authFrame, RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import * as examples from '../unit/protocol/examples.ts';
import { FrameProbe, type FrameOutcome } from './helpers/frame-probe.ts';
import {
  applyMutations,
  fuzzRuns,
  fuzzTimeout,
  hostileValue,
  markedString,
  MARKER,
  mutationsOf,
  notJson,
  toJsonText,
} from './helpers/hostile-input.ts';
import { ERROR_CODES } from './helpers/refusal.ts';
import { relayState } from './helpers/relay-state.ts';

/**
 * Property-based fuzzing of every device → relay frame of docs/protocol.md section 4 over a real
 * WebSocket: `auth` before and after authentication, `decision`, `pong`, unknown types, random
 * JSON and bytes. The relay answers `error` (closing that one socket with 4400 after three
 * malformed frames, 4413 past 16 KiB) or a `result` that settles nothing; it never closes
 * another socket and changes no state. fast-check prints the seed and path of a failure.
 */

/** A relay with user A (two raw credentials and a pending sign-in) and user B, whose healthy device stays connected throughout. */
async function frameWorld() {
  const relay = await startTestRelay({ policy: { maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: 10_000, requestTtlSeconds: 600 } });
  const alice = await relay.createUser();
  const first = await pairKeys(relay, alice.upn, 'Fuzzed socket');
  const second = await pairKeys(relay, alice.upn, 'Second credential');
  const pending = await relay.signin.createSignin({ upn: alice.upn });
  const bob = await relay.createUser();
  const healthy = await relay.pairDevice(bob.upn);
  const closes: unknown[] = [];
  healthy.device.on('close', (info) => closes.push(info));
  return { relay, alice, first, second, pending, bob, healthy, closes };
}
type World = Awaited<ReturnType<typeof frameWorld>>;

/** Nothing changed, the healthy device never lost its socket and still gets a new challenge; A's device still connects and still sees A's pending request. */
async function expectUnharmed(world: World, before: unknown): Promise<void> {
  const { relay, pending, healthy, closes, first, bob } = world;
  expect(await relayState(relay, [pending])).toEqual(before);
  expect(closes).toEqual([]);
  expect(healthy.device.connectionState(relay.origin)).toBe('connected');
  const next = await relay.signin.createSignin({ upn: bob.upn });
  await healthy.device.waitForChallenge((challenge) => challenge.requestId === next.requestId);
  const { raw, ready } = await openingSocket(relay, () => RawDeviceSocket.authenticated(relay.origin, [first]));
  expect(ready.accepted).toEqual([first.deviceId]);
  await raw.next('challenge', 0, (challenge) => challenge.requestId === pending.requestId);
}

/**
 * Opens a socket after moving the relay's clock by 100 ms: the per-address budget of new sockets
 * refills on that clock, and a fuzz run opens more sockets than its burst.
 */
function openingSocket<T>(relay: { clock: { advance(ms: number): void } }, open: () => Promise<T>): Promise<T> {
  relay.clock.advance(100);
  return open();
}

/**
 * `ready.rejected` names each refused credential by the id the frame sent (section 4), so a
 * well-formed id that happens to carry the marker is an answer, not an echo; anything else is.
 */
function withoutNamedRejections(frame: Record<string, unknown>): unknown {
  if (frame.type !== 'ready' || !Array.isArray(frame.rejected)) return frame;
  const rejected = (frame.rejected as { deviceId: unknown }[]).map((entry) =>
    typeof entry.deviceId === 'string' && ID_PATTERN.test(entry.deviceId) ? { ...entry, deviceId: '(named)' } : entry,
  );
  return { ...frame, rejected };
}

/** Every answer is an `error` with a known code or a `result` that settled nothing, and none echoes the frame. */
function expectHarmlessAnswers(outcome: FrameOutcome, bytes: number, what: string): void {
  const context = `${what}: ${JSON.stringify(outcome).slice(0, 400)}`;
  for (const answer of outcome.answers) {
    expect(JSON.stringify(answer).includes(MARKER), `${context}: the answer echoes the frame`).toBe(false);
    if (answer.type === 'error') {
      expect(ERROR_CODES.has(answer.code), context).toBe(true);
      expect(answer.code, context).not.toBe('internal_error');
      expect(typeof answer.message, context).toBe('string');
    } else {
      expect(answer.type, context).toBe('result');
      expect(['rejected', 'expired'], context).toContain(answer.outcome);
    }
  }
  if (outcome.close) {
    if (bytes > LIMITS.frameBytes) expect(outcome.close.code, context).toBe(CLOSE_CODES.frameTooLarge);
    else {
      expect(outcome.close.code, context).toBe(CLOSE_CODES.malformed);
      expect(outcome.malformedSoFar, context).toBeGreaterThanOrEqual(LIMITS.malformedFramesBeforeClose);
    }
  }
}

const RELAY_TO_DEVICE_TYPES = [
  'hello',
  'ready',
  'challenge',
  'cancel',
  'result',
  'revoked',
  'notice',
  'ping',
  'error',
  'Decision',
  'AUTH',
  '',
];

describe('fuzzing every device frame', () => {
  it(
    'frames after authentication get `error` or a `result` that settles nothing, and close only their own socket',
    async () => {
      const world = await frameWorld();
      const { relay, first, second, pending } = world;
      // Signed afresh for each case, so `signedAt` follows the clock the socket budget moves.
      const signed = (kind: 'approve' | 'deny') =>
        kind === 'approve'
          ? decisionFrame(relay, first, { requestId: pending.requestId, decision: 'approve', number: pending.number })
          : decisionFrame(relay, first, { requestId: pending.requestId, decision: 'deny' });
      const decisionTemplate = signed('approve');
      const pong = { type: 'pong', t: relay.clock.now() };
      const auth = authFrame(relay.origin, examples.NONCE, [first, second]);
      const before = await relayState(relay, [pending]);
      const probe = new FrameProbe(() => openingSocket(relay, () => RawDeviceSocket.authenticated(relay.origin, [first])));

      /** Frame text or bytes; a mutated decision that still equals a signed one is never sent. */
      const frame = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({
            decision: fc.constantFrom<'approve' | 'deny'>('approve', 'deny'),
            mutations: mutationsOf(decisionTemplate),
          }),
        },
        { weight: 2, arbitrary: mutationsOf(auth).map((mutations) => ({ base: auth, sent: applyMutations(auth, mutations) })) },
        { weight: 1, arbitrary: mutationsOf(pong).map((mutations) => ({ base: pong, sent: applyMutations(pong, mutations) })) },
        {
          weight: 1,
          arbitrary: fc
            .record({
              type: fc.oneof(fc.constantFrom(...RELAY_TO_DEVICE_TYPES), markedString),
              requestId: fc.constant(pending.requestId),
              extra: hostileValue,
            })
            .map((sent) => ({ base: undefined, sent })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              examples.decisionApprove,
              examples.decisionDeny,
              examples.auth,
              examples.pong,
              examples.hello,
              examples.challengeTyped,
            )
            .map((sent) => ({ base: undefined, sent })),
        },
        { weight: 1, arbitrary: fc.oneof(fc.jsonValue(), hostileValue).map((sent) => ({ base: undefined, sent })) },
        { weight: 1, arbitrary: notJson.map((raw) => ({ base: undefined, sent: undefined, raw })) },
      );
      await fc.assert(
        fc.asyncProperty(frame, async (input) => {
          let payload: string | Uint8Array;
          if ('mutations' in input) {
            const base: Record<string, unknown> = signed(input.decision);
            payload = toJsonText(applyMutations(base, input.mutations));
            // Guard the oracle: a frame that still parses and carries the signed values would rightly decide.
            const reparsed = JSON.parse(payload) as Record<string, unknown>;
            fc.pre(!(parse(DecisionMessage, reparsed).ok && Object.keys(base).every((key) => reparsed[key] === base[key])));
          } else payload = 'raw' in input ? input.raw : toJsonText(input.sent);
          const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
          const outcome = await probe.send(payload);
          expectHarmlessAnswers(outcome, bytes, typeof payload === 'string' ? payload.slice(0, 200) : `${bytes} bytes`);
        }),
        { numRuns: fuzzRuns(250) },
      );
      await expectUnharmed(world, before);
    },
    fuzzTimeout(),
  );

  // Found by the fuzzer: TimeSchema took any integer, decisionStatement() threw on one past 2^53,
  // and the hub answered `internal_error`. TimeSchema is now bounded by Number.MAX_SAFE_INTEGER.
  it('a decision whose signedAt is past 2^53 is a malformed frame, not an internal error', async () => {
    const world = await frameWorld();
    const { relay, first, pending } = world;
    const before = await relayState(relay, [pending]);
    const probe = new FrameProbe(() => openingSocket(relay, () => RawDeviceSocket.authenticated(relay.origin, [first])));
    const frame = { ...decisionFrame(relay, first, { requestId: pending.requestId, decision: 'deny' }), signedAt: 2 ** 53 };
    const outcome = await probe.send(JSON.stringify(frame));
    expect(outcome.answers).toEqual([expect.objectContaining({ type: 'error', code: 'malformed_frame' })]);
    await expectUnharmed(world, before);
  });

  it(
    'a hostile `auth` before authentication gets `error` or `ready` and at most closes its own socket',
    async () => {
      const world = await frameWorld();
      const { relay, first, second, pending } = world;
      const template = authFrame(relay.origin, examples.NONCE, [first, second]);
      const before = await relayState(relay, [pending]);
      const hostileAuth = fc.oneof(
        { weight: 4, arbitrary: mutationsOf(template).map((mutations) => ({ mutations, raw: undefined })) },
        { weight: 1, arbitrary: notJson.map((raw) => ({ mutations: undefined, raw })) },
      );
      await fc.assert(
        fc.asyncProperty(hostileAuth, async ({ mutations, raw: rawPayload }) => {
          const raw = await openingSocket(relay, () => RawDeviceSocket.open(relay.origin));
          const hello = await raw.next('hello');
          const payload = rawPayload ?? toJsonText(applyMutations(authFrame(relay.origin, hello.nonce, [first, second]), mutations));
          raw.socket.send(payload, { binary: typeof payload !== 'string' });
          const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
          const closed = raw.closed.then((close) => ({ close }));
          // The first answer, `error` or `ready`; a close before either is caught by `closed`.
          const answered = Promise.race([raw.next('error'), raw.next('ready')]).catch(() => new Promise<never>(() => undefined));
          const first_ = await Promise.race([answered, closed]);
          const context = `${typeof payload === 'string' ? payload.slice(0, 200) : `${bytes} bytes`} → ${JSON.stringify(raw.frames.slice(1)).slice(0, 300)}`;
          expect(
            raw.frames.slice(1).some((frame) => JSON.stringify(withoutNamedRejections(frame)).includes(MARKER)),
            context,
          ).toBe(false);
          if ('close' in first_) {
            expect(first_.close.code, context).toBe(bytes > LIMITS.frameBytes ? CLOSE_CODES.frameTooLarge : CLOSE_CODES.notAuthenticated);
          } else if (first_.type === 'error') {
            expect(first_.code, context).toBe('malformed_frame');
          } else {
            expect(first_.type, context).toBe('ready');
            // A credential left intact may be accepted; with none accepted the socket is closed 4401.
            if (first_.accepted.length === 0) expect((await raw.closed).code, context).toBe(CLOSE_CODES.notAuthenticated);
          }
          if (raw.socket.readyState === WebSocket.OPEN) raw.socket.close();
        }),
        { numRuns: fuzzRuns(40) },
      );
      await expectUnharmed(world, before);
    },
    fuzzTimeout(),
  );
});
