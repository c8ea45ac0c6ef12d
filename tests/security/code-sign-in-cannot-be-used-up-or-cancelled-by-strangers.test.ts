import { describe, expect, it } from 'vitest';
import type { VirtualDevice } from '../../testing/virtual-device.ts';
import { relayWithDevice, WAIT_MS } from '../integration/helpers/test-relay.ts';
import { ClientAt } from './helpers/client-at.ts';

/** Sends `claim {deviceId, code}` and resolves with what the relay answers: a challenge, or an error. */
async function claim(device: VirtualDevice, origin: string, deviceId: string, code: string) {
  const answer = new Promise<{ type: string; code?: string; requestId?: string; match?: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to claim')), WAIT_MS);
    const done = (frame: { type: string }) => {
      clearTimeout(timer);
      device.off('challenge', onChallenge);
      device.off('relayError', onError);
      resolve(frame);
    };
    const onChallenge = (frame: { type: string }) => done(frame);
    const onError = (frame: { type: string }) => done(frame);
    device.on('challenge', onChallenge);
    device.on('relayError', onError);
  });
  device.sendRaw(origin, JSON.stringify({ type: 'claim', deviceId, code }));
  return answer;
}

/**
 * docs/protocol.md section 5, sign-in by code: the way in for a person at a new browser while
 * strangers keep the unfamiliar slots full or pushes are paused. Nothing a stranger does uses the
 * code up or cancels it; only a device of the user reaches it, and a device may try 10 unknown
 * codes an hour.
 */
describe('sign-in by code', () => {
  it('code sign-in not cancellable by strangers: it works while strangers hold every slot', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const upn = relay.user.upn;
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await new ClientAt(relay.origin, ip).startSignin({ upn })).status).toBe(201);
    }
    const newBrowser = new ClientAt(relay.origin, '192.0.2.50');
    expect((await newBrowser.startSignin({ upn })).status).toBe(429);
    const created = await newBrowser.startSignin({ upn, by: 'code' });
    expect(created.status).toBe(201);
    expect(created.body.code).toMatch(/^[0-9]{8}$/);
    expect(created.body.number).toBeUndefined();
    expect(created.headers.get('cache-control')).toMatch(/no-store/);
    // Nothing was pushed.
    expect(relay.device.pendingChallenges().some((challenge) => challenge.requestId === created.body.requestId)).toBe(false);

    // Strangers: a code request of their own, a push, a cancel without the token; none touches it.
    const stranger = new ClientAt(relay.origin, '198.51.100.1');
    expect((await stranger.startSignin({ upn, by: 'code' })).status).toBe(201);
    expect(await stranger.cancel({ requestId: created.body.requestId, browserToken: 'A'.repeat(22) })).toBe(401);
    // A device of another user cannot reach the code.
    const other = await relay.createUser();
    const { device: otherDevice, deviceId: otherDeviceId } = await relay.pairDevice(other.upn);
    const refused = await claim(otherDevice, relay.origin, otherDeviceId, created.body.code);
    expect(refused).toMatchObject({ type: 'error', code: 'not_found' });
    expect(await newBrowser.status(created.body)).toBe('pending');

    const challenge = await claim(relay.device, relay.origin, relay.deviceId, created.body.code);
    expect(challenge).toMatchObject({ type: 'challenge', requestId: created.body.requestId, match: { mode: 'code' } });
    expect((await relay.device.approve(created.body.requestId, created.body.code)).outcome).toBe('approved');
    expect(await newBrowser.complete(created.body)).toBe(200);
  });

  it('a device may send at most 10 unknown codes an hour', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    const created = await new ClientAt(relay.origin, '192.0.2.50').startSignin({ upn: relay.user.upn, by: 'code' });
    const wrong = created.body.code === '00000000' ? '00000001' : '00000000';
    for (let i = 0; i < 10; i += 1) {
      expect(await claim(relay.device, relay.origin, relay.deviceId, wrong)).toMatchObject({ type: 'error', code: 'not_found' });
    }
    expect(await claim(relay.device, relay.origin, relay.deviceId, created.body.code)).toMatchObject({
      type: 'error',
      code: 'rate_limited',
    });
    await relay.advance(3_600_000);
    const again = await new ClientAt(relay.origin, '192.0.2.50').startSignin({ upn: relay.user.upn, by: 'code' });
    expect(await claim(relay.device, relay.origin, relay.deviceId, again.body.code)).toMatchObject({ type: 'challenge' });
  });
});
