import { describe, expect, it } from 'vitest';
import { signStatement, type Decision, type Unlock } from '../../../protocol/index.ts';
import { decisionFrame, pairKeys, type PairedKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { startTestRelay, type TestRelay } from '../helpers/test-relay.ts';

/**
 * docs/protocol.md section 2, revision 2: the relay checks each decision against the one key allowed
 * for it. An `approve` only by the approval key (unlock `pin` or `webauthn`); `deny` and
 * `report` by the connect key with unlock `none`, or by the approval key with a real unlock.
 */

/** A user with a raw two-key device on an open socket, and a pending sign-in it was challenged with. */
async function pendingWithRawDevice(options: { password?: string } = {}) {
  const relay = await startTestRelay({ policy: { maxPushesPer10Min: 1000, maxUnfamiliarPushesPerHour: 10_000 } });
  const user = await relay.createUser(options.password !== undefined ? { password: options.password } : {});
  const keys = await pairKeys(relay, user.upn);
  const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
  const created = await relay.signin.createSignin({
    upn: user.upn,
    ...(options.password !== undefined ? { password: options.password } : {}),
  });
  await raw.next('challenge', 0, (c) => c.requestId === created.requestId);
  return { relay, user, keys, raw, created };
}

/**
 * A decision statement built by hand, for combinations `decisionStatement` refuses to build
 * (an approve with unlock `none`): what a broken or hostile device could still sign.
 */
function handSignedDecision(
  relay: TestRelay,
  keys: PairedKeys,
  fields: { requestId: string; decision: Decision; number: string; unlock: Unlock },
  secretKey: Uint8Array,
) {
  const signedAt = relay.clock.now();
  const statement = new TextEncoder().encode(
    [
      'countersign/v1/decision',
      relay.origin,
      fields.requestId,
      keys.deviceId,
      fields.decision,
      fields.number,
      String(signedAt),
      fields.unlock,
    ].join('\n'),
  );
  return { type: 'decision', deviceId: keys.deviceId, ...fields, signedAt, signature: signStatement(statement, secretKey) };
}

describe('which key may sign a decision', () => {
  it('rejects an approve signed with the connect key as bad_signature and leaves the request pending', async () => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(
      decisionFrame(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number, unlock: 'pin' },
        {},
        keys.connectKey,
      ),
    );
    expect(await raw.next('result')).toEqual({ type: 'result', requestId: created.requestId, outcome: 'rejected', code: 'bad_signature' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision: 'approve', number: created.number }));
    expect(await raw.next('result', 1)).toMatchObject({ outcome: 'approved' });
  });

  it.each([
    ['the connect key', 'connectKey'],
    ['the approval key', 'approvalKey'],
  ] as const)('rejects an approve with unlock "none" signed with %s and leaves the request pending', async (_name, key) => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(
      handSignedDecision(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number, unlock: 'none' },
        keys[key],
      ),
    );
    expect(await raw.next('result')).toEqual({ type: 'result', requestId: created.requestId, outcome: 'rejected', code: 'bad_signature' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
  });

  it('approves with unlock "webauthn" signed with the approval key', async () => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision: 'approve', number: created.number, unlock: 'webauthn' }));
    expect(await raw.next('result')).toMatchObject({ outcome: 'approved' });
  });

  it.each([
    ['deny', 'denied'],
    ['report', 'reported'],
  ] as const)('takes a %s with unlock "none" signed with the connect key', async (decision, status) => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision, unlock: 'none' }));
    expect(await raw.next('result')).toEqual({ type: 'result', requestId: created.requestId, outcome: status });
    expect((await relay.signin.getStatus(created)).status).toBe(status);
  });

  it.each([
    ['deny', 'pin', 'denied'],
    ['report', 'webauthn', 'reported'],
  ] as const)('takes a %s with unlock "%s" signed with the approval key', async (decision, unlock, status) => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision, unlock }));
    expect(await raw.next('result')).toMatchObject({ outcome: status });
  });

  it.each([
    ['deny', 'none', 'approvalKey'],
    ['report', 'none', 'approvalKey'],
    ['deny', 'pin', 'connectKey'],
    ['report', 'webauthn', 'connectKey'],
  ] as const)('rejects a %s with unlock "%s" signed with the other key (%s) and changes nothing', async (decision, unlock, key) => {
    const { relay, user, keys, raw, created } = await pendingWithRawDevice();
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision, unlock }, {}, keys[key]));
    expect(await raw.next('result')).toEqual({ type: 'result', requestId: created.requestId, outcome: 'rejected', code: 'bad_signature' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
    // A deny would have counted a failure and a report blocked pushes; neither happened.
    const details = await relay.http('GET', `/api/v1/admin/users/${encodeURIComponent(user.upn)}`, { admin: true });
    expect(details.body).toMatchObject({ failureCount: 0, atRisk: false });
  });

  it('rejects a decision whose unlock differs from the one it signed', async () => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    raw.send(
      decisionFrame(
        relay,
        keys,
        { requestId: created.requestId, decision: 'approve', number: created.number, unlock: 'webauthn' },
        { unlock: 'pin' },
      ),
    );
    expect(await raw.next('result')).toMatchObject({ outcome: 'rejected', code: 'bad_signature' });
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
  });

  it('treats a decision without unlock (revision 1) as a malformed frame, not a decision', async () => {
    const { relay, keys, raw, created } = await pendingWithRawDevice();
    const { unlock: _unlock, ...withoutUnlock } = decisionFrame(relay, keys, {
      requestId: created.requestId,
      decision: 'approve',
      number: created.number,
    });
    raw.send(withoutUnlock);
    expect(await raw.next('error')).toMatchObject({ code: 'malformed_frame' });
    expect(raw.all('result')).toEqual([]);
    expect(await relay.signin.getStatus(created)).toEqual({ status: 'pending' });
  });
});

describe('amr of the session an approval gives (section 5)', () => {
  async function approvedSession(unlock: 'pin' | 'webauthn', password?: string) {
    const { relay, keys, raw, created } = await pendingWithRawDevice(password !== undefined ? { password } : {});
    raw.send(decisionFrame(relay, keys, { requestId: created.requestId, decision: 'approve', number: created.number, unlock }));
    expect(await raw.next('result')).toMatchObject({ outcome: 'approved' });
    const answer = await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    return answer.body.session.amr as string[];
  }

  it('is ["swk", "pin", "mfa"] for a passwordless sign-in approved after a PIN', async () => {
    expect(await approvedSession('pin')).toEqual(['swk', 'pin', 'mfa']);
  });

  it('is ["swk", "hwk", "mfa"] for a passwordless sign-in approved after WebAuthn', async () => {
    expect(await approvedSession('webauthn')).toEqual(['swk', 'hwk', 'mfa']);
  });

  it('is ["pwd", "swk", "pin", "mfa"] for an approval after a password', async () => {
    expect(await approvedSession('pin', 'a-good-password-1')).toEqual(['pwd', 'swk', 'pin', 'mfa']);
  });
});
