import { describe, expect, it } from 'vitest';
import { blindPin } from '../../protocol/pin-oprf.ts';
import { pairKeys, TEST_PIN } from '../integration/helpers/paired-keys.ts';
import { rawUnlock } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

/**
 * Issue 17: 8 wrong PINs sent at once counted as 1. Counts now live in the database and each
 * evaluation is recorded in a transaction holding the device's row, so 8 concurrent unlocks on 4
 * sockets are 8 attempts, each told a different `attemptsLeft`, and 8 failures once their sockets close.
 */
describe('concurrent wrong PINs', () => {
  it('count as 8 failures when 8 are sent at once over 4 sockets', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const sockets = await Promise.all(
      Array.from({ length: 4 }, async () => (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw),
    );
    // 8 at once, two per socket, before any answer came back.
    for (let i = 0; i < 8; i++) sockets[i % 4]!.send({ type: 'unlock', deviceId: keys.deviceId, blinded: blindPin(`00000${i}`).blinded });
    const answers = (await Promise.all(sockets.map(async (raw) => [await raw.next('unlocked', 0), await raw.next('unlocked', 1)]))).flat();
    expect(answers.every((answer) => answer.type === 'unlocked')).toBe(true);
    expect(answers.map((answer) => answer.attemptsLeft).sort()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    for (const raw of sockets) raw.socket.close();
    await Promise.all(sockets.map((raw) => raw.waitForClose()));
    const failures = async () =>
      (await relay.running.relay.store.db.selectFrom('pin_attempts').select('id').where('failed_at', 'is not', null).execute()).length;
    await expect.poll(failures).toBe(8);
    const owner = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
    expect(await rawUnlock(owner, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: true, attemptsLeft: 1 });
  });

  it('evaluate exactly 10 of 12 sent at once over 4 sockets, each told its own place', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const sockets = await Promise.all(
      Array.from({ length: 4 }, async () => (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw),
    );
    for (let i = 0; i < 12; i++) sockets[i % 4]!.send({ type: 'unlock', deviceId: keys.deviceId, blinded: blindPin(`10000${i}`).blinded });
    const isAnswer = (frame: Record<string, any>) =>
      frame.type === 'unlocked' || (frame.type === 'error' && frame.deviceId === keys.deviceId);
    // Each socket's third answer (frames on one socket are answered in order).
    await Promise.all(sockets.map((raw) => raw.nextFrom(0, 'three answers', (frame) => raw.frames.filter(isAnswer)[2] === frame)));
    const answers = sockets.flatMap((raw) => raw.frames.filter(isAnswer));
    const unlocked = answers.filter((answer) => answer.type === 'unlocked');
    expect(unlocked.map((answer) => answer.attemptsLeft).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(answers.filter((answer) => answer.type === 'error').map((answer) => answer.code)).toEqual(['pin_attempts', 'pin_attempts']);
    const open = await relay.running.relay.store.db
      .selectFrom('pin_attempts')
      .select('id')
      .where('device_id', '=', keys.deviceId)
      .execute();
    expect(open).toHaveLength(10);
  });
});
