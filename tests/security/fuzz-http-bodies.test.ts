import fc from 'fast-check';
import { blindPin } from '../../protocol/pin-oprf.ts';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/limits.ts';
import {
  CreateUserBody,
  DisplayNameSchema,
  GroupNameSchema,
  IssueTapBody,
  PolicySchema,
  generateDeviceKeyPair,
  pairStatement,
  signStatement,
} from '../../protocol/index.ts';
import { startTestRelay, type TestRelay } from '../integration/helpers/test-relay.ts';
import { fuzzRuns, fuzzTimeout, hostileBodies, hugeString, markedString, MARKER, type HostileBody } from './helpers/hostile-input.ts';
import { expectRefusal, sendHostile } from './helpers/refusal.ts';
import { relayState } from './helpers/relay-state.ts';
import type { SigninHandle } from '../../testing/admin-client.ts';
import type { VirtualDevice } from '../../testing/virtual-device.ts';

/**
 * Property-based fuzzing of every HTTP body of docs/protocol.md (sections 3, 5, 6, 7) against a real
 * relay on loopback: valid bodies mutated field by field, random JSON, non-JSON and bytes.
 * A refusal is a 4xx `{error: {code, message}}` that echoes nothing and changes nothing.
 * fast-check prints the seed and path of a failure: replay with `{seed, path}` in fc.assert.
 */

/** A relay whose one user has a connected device and a pending sign-in that no fuzzing may touch. */
async function fuzzedRelay(): Promise<{ relay: TestRelay; pending: SigninHandle; upn: string; device: VirtualDevice }> {
  const relay = await startTestRelay({ policy: { maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: 10_000, requestTtlSeconds: 600 } });
  const user = await relay.createUser({ password: 'the-right-password' });
  const { device } = await relay.pairDevice(user.upn);
  const pending = await relay.signin.createSignin({ upn: user.upn });
  await device.waitForChallenge((challenge) => challenge.requestId === pending.requestId);
  return { relay, pending, upn: user.upn, device };
}

/** After the fuzzing, the user's device is still connected and still gets the next request. */
async function expectDeviceStillServed(
  relay: TestRelay,
  world: { pending: SigninHandle; upn: string; device: VirtualDevice },
): Promise<void> {
  expect(world.device.connectionState(relay.origin)).toBe('connected');
  await relay.signin.cancel(world.pending);
  const next = await relay.signin.createSignin({ upn: world.upn });
  await world.device.waitForChallenge((challenge) => challenge.requestId === next.requestId);
}

/** Lone surrogates replaced, as encodeURIComponent cannot encode them. */
const wellFormed = (text: string) => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** A path segment from hostile text: well-formed parts percent-encoded, plus raw broken escapes. */
const hostileSegment = fc.oneof(
  markedString.map((text) => encodeURIComponent(wellFormed(text))),
  hugeString.map((text) => encodeURIComponent(wellFormed(text.slice(0, 600)))),
  fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '%0A', '..%2F..%2Fadmin', '%2e%2e', `${MARKER}%FF%FE`, 'AAAAAAAAAAAAAAAAAAAAAA'),
);
/** Bearer tokens a browser might forge: printable text only (fetch refuses control characters in headers). */
const hostileToken = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'ABCabc019-_.~+/='.split('')), minLength: 1, maxLength: 64 }).map((text) => `${MARKER}${text}`),
  fc.constantFrom(`${MARKER}${'A'.repeat(5000)}`, 'null', 'undefined', '0', `${MARKER}%00`),
);

describe('fuzzing every HTTP body', () => {
  it(
    'POST /api/v1/signins answers hostile bodies with a 4xx and changes nothing',
    async () => {
      const world = await fuzzedRelay();
      const { relay, pending } = world;
      // Another user without a device: a body that still parses asks for it and gets 401 or 422.
      const other = await relay.createUser({ password: 'the-other-password' });
      const before = await relayState(relay, [pending]);
      const bases = [
        { upn: other.upn, password: 'not-the-password' },
        { upn: other.upn },
        { upn: other.upn, app: 'payroll', password: 'not-the-password' },
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bases).chain(hostileBodies), async (body) => {
          expectRefusal(await sendHostile(relay.origin, 'POST', '/api/v1/signins', body), 'POST /api/v1/signins');
        }),
        { numRuns: fuzzRuns(100) },
      );
      expect(await relayState(relay, [pending])).toEqual(before);
      await expectDeviceStillServed(relay, world);
    },
    fuzzTimeout(),
  );

  it(
    'cancel and complete with forged ids and tokens answer a 4xx and leave the request pending',
    async () => {
      const world = await fuzzedRelay();
      const { relay, pending } = world;
      // A real token of another user's pending request: valid, but not for this request.
      const stranger = await relay.createUser();
      await relay.pairDevice(stranger.upn);
      const strangers = await relay.signin.createSignin({ upn: stranger.upn });
      const before = await relayState(relay, [pending, strangers]);
      const target = fc.record({
        action: fc.constantFrom('cancel', 'complete'),
        id: fc.oneof(fc.constant(pending.requestId), fc.constant(strangers.requestId), hostileSegment),
        token: fc.option(fc.oneof(hostileToken, fc.constant(strangers.browserToken), fc.constant(pending.browserToken.slice(0, -1))), {
          nil: undefined,
        }),
        body: fc.option(hostileBodies({ requestId: pending.requestId, browserToken: pending.browserToken }), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(target, async ({ action, id, token, body }) => {
          // The one pair that is allowed to work is never generated: each request with its own token.
          fc.pre(!(id === strangers.requestId && token === strangers.browserToken));
          const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
          const answer = await sendHostile(relay.origin, 'POST', `/api/v1/signins/${id}/${action}`, body, headers);
          expectRefusal(answer, `POST /api/v1/signins/${id.slice(0, 40)}/${action}`);
        }),
        { numRuns: fuzzRuns(120) },
      );
      expect(await relayState(relay, [pending, strangers])).toEqual(before);
      await expectDeviceStillServed(relay, world);
    },
    fuzzTimeout(),
  );

  it(
    'POST /api/v1/pairings/redeem refuses every changed body and leaves the offer redeemable',
    async () => {
      const world = await fuzzedRelay();
      const { relay, pending } = world;
      const offer = await relay.admin.createPairing(world.upn);
      const approval = generateDeviceKeyPair();
      const connect = generateDeviceKeyPair();
      const deviceName = 'Fuzzed device';
      const statement = pairStatement({
        relayOrigin: relay.origin,
        pairingToken: offer.token,
        publicKey: approval.publicKey,
        connectPublicKey: connect.publicKey,
        deviceName,
      });
      const valid = {
        token: offer.token,
        publicKey: approval.publicKey,
        connectPublicKey: connect.publicKey,
        deviceName,
        pinBlinded: blindPin('246810').blinded,
        signature: signStatement(statement, approval.secretKey),
      };
      const validText = JSON.stringify(valid);
      const before = await relayState(relay, [pending]);
      await fc.assert(
        fc.asyncProperty(hostileBodies(valid), async (body) => {
          fc.pre(body.payload !== validText); // a mutation that changed nothing would rightly pair
          expectRefusal(await sendHostile(relay.origin, 'POST', '/api/v1/pairings/redeem', body), 'POST /api/v1/pairings/redeem');
        }),
        { numRuns: fuzzRuns(120) },
      );
      expect(await relayState(relay, [pending])).toEqual(before);
      const redeemed = await sendHostile(relay.origin, 'POST', '/api/v1/pairings/redeem', {
        payload: validText,
        contentType: 'application/json',
      });
      expect(redeemed.status, redeemed.text).toBe(201);
      await expectDeviceStillServed(relay, world);
    },
    fuzzTimeout(),
  );

  it(
    'admin bodies are refused with a 4xx that changes nothing, and accepted only when the shared schemas accept them',
    async () => {
      const world = await fuzzedRelay();
      const { relay, pending } = world;
      const target = await relay.createUser({ upn: 'fuzz-target@example.test', displayName: 'Fuzz Target', password: 'target-password' });
      const policy = await relay.admin.getPolicy();
      // PATCH takes the same fields as creation, each with its shared schema.
      const PatchOracle = v.object({
        displayName: v.optional(DisplayNameSchema),
        password: v.optional(v.pipe(v.string(), v.minLength(8), v.maxLength(LIMITS.passwordChars))),
        groups: v.optional(v.pipe(v.array(GroupNameSchema), v.maxLength(100))),
        isAdmin: v.optional(v.boolean()),
        pushBlocked: v.optional(v.literal(false)),
      });
      interface Route {
        method: string;
        path: string;
        base: object | undefined;
        oracle: v.GenericSchema | undefined;
      }
      const routes: Route[] = [
        {
          method: 'POST',
          path: '/api/v1/admin/users',
          base: { upn: 'fuzz-new@example.test', displayName: 'Fuzz New', password: 'fuzz-password', groups: ['staff'] },
          oracle: CreateUserBody,
        },
        {
          method: 'PATCH',
          path: `/api/v1/admin/users/${target.upn}`,
          base: { displayName: 'Fuzz Renamed', groups: ['staff'], isAdmin: false, pushBlocked: false },
          oracle: PatchOracle,
        },
        {
          method: 'POST',
          path: `/api/v1/admin/users/${target.upn}/tap`,
          base: { lifetimeMinutes: 60, oneTime: true },
          oracle: IssueTapBody,
        },
        { method: 'PUT', path: '/api/v1/admin/policy', base: policy, oracle: PolicySchema },
        // No body: anything sent is ignored, so only the path is hostile.
        { method: 'POST', path: '/api/v1/admin/users/%s/pairings', base: undefined, oracle: undefined },
        { method: 'PATCH', path: '/api/v1/admin/users/%s', base: { displayName: 'Fuzz Renamed' }, oracle: undefined },
      ];
      const request = fc.constantFrom(...routes).chain((route) =>
        fc.record({
          route: fc.constant(route),
          body: route.base ? hostileBodies(route.base) : fc.constant<HostileBody | undefined>(undefined),
          segment: hostileSegment,
          bearer: fc.oneof(
            { weight: 5, arbitrary: fc.constant<'admin' | undefined>('admin') },
            { weight: 1, arbitrary: fc.constantFrom(undefined, `${MARKER}not-the-admin-token`) },
          ),
        }),
      );
      let baseline = await relayState(relay, [pending]);
      await fc.assert(
        fc.asyncProperty(request, async ({ route, body, segment, bearer }) => {
          const path = route.path.replace('%s', segment);
          const headers: Record<string, string> =
            bearer === undefined ? {} : { authorization: `Bearer ${bearer === 'admin' ? relay.running.adminToken : bearer}` };
          const answer = await sendHostile(relay.origin, route.method, path, body, headers);
          const what = `${route.method} ${path.slice(0, 60)}`;
          if (
            answer.status < 300 &&
            bearer === 'admin' &&
            route.oracle &&
            body &&
            typeof body.payload === 'string' &&
            body.contentType === 'application/json'
          ) {
            // Accepted: only a body the protocol's schemas accept may be.
            const sent: unknown = JSON.parse(body.payload);
            expect(v.safeParse(route.oracle, sent).success, `${what} accepted ${body.payload.slice(0, 200)}`).toBe(true);
            baseline = await relayState(relay, [pending]);
            return;
          }
          if (route.path.includes('%s') && answer.status < 300) {
            // The hostile segment happened to name the target user (e.g. its upn percent-encoded).
            baseline = await relayState(relay, [pending]);
            return;
          }
          expectRefusal(answer, what);
          // Without the admin token nothing is read but the size: 401, or 413 for a body over 16 KiB.
          if (bearer !== 'admin') expect(['unauthorized', 'payload_too_large'], what).toContain(answer.body.error.code);
          expect(await relayState(relay, [pending]), `${what} changed the relay's state`).toEqual(baseline);
        }),
        { numRuns: fuzzRuns(130) },
      );
      await relay.admin.putPolicy(policy);
      await expectDeviceStillServed(relay, world);
    },
    fuzzTimeout(),
  );
});
