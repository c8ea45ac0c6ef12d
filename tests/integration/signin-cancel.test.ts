import { describe, expect, it } from 'vitest';
import { relayWithDevice, type HttpAnswer, type RelayWithDevice } from './helpers/test-relay.ts';

/**
 * Abuse of `POST /api/v1/signins/{id}/cancel` (docs/protocol.md section 5), the call the sign-in
 * page makes when the person leaves the number screen: only the request's own browser token may
 * withdraw it, and once a request has ended nothing can change it.
 */

const cancelPath = (requestId: string) => `/api/v1/signins/${requestId}/cancel`;

function expectRefused(answer: HttpAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
  // The refusal says nothing secret back.
  expect(answer.text).not.toMatch(/browserToken|[A-Za-z0-9_-]{22}/);
}

/** The request ids of every `cancel` with reason `cancelled` the device gets (a withdrawal, not a supersede). */
function recordCancels(relay: RelayWithDevice): string[] {
  const seen: string[] = [];
  relay.device.on('cancel', (cancel) => {
    if (cancel.reason === 'cancelled') seen.push(cancel.requestId);
  });
  return seen;
}

/** A round trip through the device socket: frames sent before it have arrived after it (the probe supersedes the last request). */
async function flushDeviceFrames(relay: RelayWithDevice): Promise<void> {
  const probe = await relay.signin.createSignin({ upn: relay.user.upn });
  await relay.device.waitForChallenge((challenge) => challenge.requestId === probe.requestId);
}

describe('withdrawing a sign-in request', () => {
  it('is refused without the browser token, with a made-up one, or with another request’s, and nothing changes', async () => {
    const relay = await relayWithDevice();
    const cancels = recordCancels(relay);
    const older = await relay.signin.createSignin({ upn: relay.user.upn });
    // From the same client the newer request supersedes the older: its token is real, but not this request's.
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((challenge) => challenge.requestId === created.requestId);

    expectRefused(await relay.http('POST', cancelPath(created.requestId)), 401, 'unauthorized');
    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: 'AAAAAAAAAAAAAAAAAAAAAA' }), 401, 'unauthorized');
    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: older.browserToken }), 401, 'unauthorized');
    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: `${created.browserToken}x` }), 401, 'unauthorized');
    // The token in the query is for EventSource only.
    expectRefused(await relay.http('POST', `${cancelPath(created.requestId)}?token=${created.browserToken}`), 401, 'unauthorized');

    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    await flushDeviceFrames(relay);
    expect(cancels).not.toContain(created.requestId);
  });

  it('is refused for another user’s request, even with a valid token of one’s own', async () => {
    const relay = await relayWithDevice();
    const cancels = recordCancels(relay);
    const victims = await relay.signin.createSignin({ upn: relay.user.upn });
    const other = await relay.createUser();
    await relay.pairDevice(other.upn);
    const own = await relay.signin.createSignin({ upn: other.upn });

    expectRefused(await relay.http('POST', cancelPath(victims.requestId), { bearer: own.browserToken }), 401, 'unauthorized');
    expect((await relay.signin.getStatus(victims)).status).toBe('pending');
    expect((await relay.signin.getStatus(own)).status).toBe('pending');
    await flushDeviceFrames(relay);
    expect(cancels).not.toContain(victims.requestId);
  });

  it('answers an unknown request like a missing one, without saying whether the token would fit', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expectRefused(await relay.http('POST', cancelPath('AAAAAAAAAAAAAAAAAAAAAA'), { bearer: created.browserToken }), 404, 'not_found');
  });

  it('withdraws once: a replay changes nothing and sends the devices no second cancel', async () => {
    const relay = await relayWithDevice();
    const cancels = recordCancels(relay);
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const first = await relay.http('POST', cancelPath(created.requestId), { bearer: created.browserToken });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'cancelled' });
    expect((await relay.device.waitForCancel(created.requestId)).reason).toBe('cancelled');

    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: created.browserToken }), 409, 'already_decided');
    expect((await relay.signin.getStatus(created)).status).toBe('cancelled');
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('already_decided');
    await flushDeviceFrames(relay);
    expect(cancels.filter((id) => id === created.requestId)).toHaveLength(1);
  });

  it('cannot take back an approval: the request stays approved and still becomes a session, once', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((challenge) => challenge.requestId === created.requestId);
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');

    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: created.browserToken }), 409, 'already_decided');
    expect((await relay.signin.getStatus(created)).status).toBe('approved');
    const session = await relay.signin.complete(created);
    expect(session.session.upn).toBe(relay.user.upn);
    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: created.browserToken }), 409, 'already_decided');
    expect((await relay.http('POST', `/api/v1/signins/${created.requestId}/complete`, { bearer: created.browserToken })).status).toBe(409);
  });

  it('cannot revive or relabel an expired request', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.advance(121_000);
    expectRefused(await relay.http('POST', cancelPath(created.requestId), { bearer: created.browserToken }), 409, 'already_decided');
    expect((await relay.signin.getStatus(created)).status).toBe('expired');
  });
});
