import { describe, expect, it } from 'vitest';
import { decisionFrame, pairKeys, TEST_PIN, type PairedKeys } from '../integration/helpers/paired-keys.ts';
import { rawUnlock } from '../integration/helpers/pin-unlock.ts';
import { RawDeviceSocket } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay, type TestRelay } from '../integration/helpers/test-relay.ts';

/**
 * The attack revision 3 answers: a thief copied the profile (wrapped approval key, connect key) and
 * guesses PINs through the relay, since nothing offline tests a guess. The relay counts every
 * evaluation on the thief's socket; the owner's proofs on the owner's socket clear only the
 * owner's attempts, so the thief gets 10 evaluations in 30 days, then the PIN is locked: PIN
 * approvals are refused, WebAuthn approvals still work, and every failure was told to the user.
 */

const DAY = 24 * 60 * 60_000;

/** Starts a sign-in and sends the owner's approval on `raw`; the relay's `result`. */
async function approve(relay: TestRelay, raw: RawDeviceSocket, keys: PairedKeys, upn: string, unlock: 'pin' | 'webauthn') {
  const signin = await relay.signin.createSignin({ upn });
  raw.send(decisionFrame(relay, keys, { requestId: signin.requestId, decision: 'approve', number: signin.number, unlock }));
  return raw.next('result', 0, (frame) => frame.requestId === signin.requestId);
}

describe('a thief with a copied profile', () => {
  it('gets at most 10 PIN evaluations in 30 days however often the owner approves, then PIN approvals stop and WebAuthn goes on', async () => {
    const relay = await startTestRelay({ policy: { maxPushesPer10Min: 1000 } });
    const user = await relay.createUser();
    const owner = await pairKeys(relay, user.upn, 'Owner laptop');
    const other = await pairKeys(relay, user.upn, 'Owner phone');
    const ownerSocket = (await RawDeviceSocket.authenticated(relay.origin, [owner])).raw;
    const otherSocket = (await RawDeviceSocket.authenticated(relay.origin, [other])).raw;

    let thiefEvaluations = 0;
    let thiefRefusal: string | undefined;
    let guess = 0;
    for (let round = 0; round < 30 && !thiefRefusal; round++) {
      // The thief comes back with a fresh socket now and then (a close makes its attempts failures),
      // or keeps one open (60 s make them failures).
      const thief = (await RawDeviceSocket.authenticated(relay.origin, [owner])).raw;
      for (let i = 0; i < 2 && !thiefRefusal; i++) {
        const pin = String(guess++).padStart(6, '0');
        const tried = await rawUnlock(thief, relay.origin, owner, pin);
        if (tried.ok) throw new Error('the thief guessed the PIN');
        if (tried.code === 'wrong_pin') thiefEvaluations += 1;
        else thiefRefusal = tried.code;
      }
      if (round % 2 === 0) {
        thief.socket.close();
        await thief.waitForClose();
      }
      // Meanwhile the owner unlocks, proves and approves, as often as they like.
      const owned = await rawUnlock(ownerSocket, relay.origin, owner, TEST_PIN);
      if (owned.ok) expect((await approve(relay, ownerSocket, owner, user.upn, 'pin')).outcome).toBe('approved');
      relay.clock.advance(DAY + 61_000);
    }

    expect(thiefEvaluations).toBe(10);
    expect(thiefRefusal).toBe('pin_locked');
    // Locked for the owner too: no evaluation, no PIN approval; WebAuthn approvals still work.
    expect(await rawUnlock(ownerSocket, relay.origin, owner, TEST_PIN)).toMatchObject({ ok: false, code: 'pin_locked' });
    expect(await approve(relay, ownerSocket, owner, user.upn, 'pin')).toMatchObject({ outcome: 'rejected', code: 'pin_locked' });
    expect((await approve(relay, ownerSocket, owner, user.upn, 'webauthn')).outcome).toBe('approved');
    // The user's other device heard of every failure and of the lock.
    const notice = (kind: string) => (frame: Record<string, any>) => frame.kind === kind && frame.deviceId === other.deviceId;
    expect(await otherSocket.next('notice', 9, notice('pin_failure'))).toMatchObject({ name: 'Owner laptop' });
    expect(await otherSocket.next('notice', 0, notice('pin_locked'))).toMatchObject({ name: 'Owner laptop' });
    expect(otherSocket.all('notice').filter(notice('pin_failure'))).toHaveLength(10);
    // So did the laptop itself, on every socket it holds.
    expect(ownerSocket.all('notice').filter((frame) => frame.kind === 'pin_failure')).toHaveLength(10);
    // The admin sees the lock and every failure in the sign-in log.
    const view = await relay.admin.getUser(user.upn);
    expect(view.devices.find((device) => device.deviceId === owner.deviceId)).toMatchObject({ pinLocked: true });
    expect(view.devices.find((device) => device.deviceId === other.deviceId)).toMatchObject({ pinLocked: false });
    const log = await relay.admin.listSignins({ upn: user.upn, limit: 100 });
    const pinRows = log.filter((row) => row.method === 'pin_unlock');
    expect(pinRows.filter((row) => row.reason === 'pin_failure')).toHaveLength(10);
    expect(pinRows.filter((row) => row.reason === 'pin_locked')).toHaveLength(1);
    expect(pinRows.every((row) => row.status === 'denied' && row.deviceId === owner.deviceId)).toBe(true);
  });

  it("makes an owner's PIN approval wait for the overdue guesses: the tenth failure refuses it, fewer let it through", async () => {
    const relay = await startTestRelay({ policy: { maxPushesPer10Min: 1000 } });
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const ownerSocket = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
    const guessAll = async (count: number) => {
      const thief = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
      for (let i = 0; i < count; i++)
        expect(await rawUnlock(thief, relay.origin, keys, String(i).padStart(6, '0'))).toMatchObject({ ok: false });
      return thief;
    };

    // Three guesses left open past the proof window: the approval settles them (three failures) and lands.
    await guessAll(3);
    relay.clock.advance(61_000);
    expect((await approve(relay, ownerSocket, keys, user.upn, 'pin')).outcome).toBe('approved');
    const failures = async () =>
      (await relay.admin.listSignins({ upn: user.upn, limit: 100 })).filter((row) => row.reason === 'pin_failure').length;
    expect(await failures()).toBe(3);

    // Seven more, overdue: settling them makes ten, the PIN locks, and the approval is refused.
    await guessAll(7);
    relay.clock.advance(61_000);
    expect(await approve(relay, ownerSocket, keys, user.upn, 'pin')).toMatchObject({ outcome: 'rejected', code: 'pin_locked' });
    expect(await failures()).toBe(10);
    expect((await relay.admin.getUser(user.upn)).devices[0]).toMatchObject({ pinLocked: true });
    // The refused approval left its request pending, for a WebAuthn approval or another device.
    expect((await approve(relay, ownerSocket, keys, user.upn, 'webauthn')).outcome).toBe('approved');
  });

  it('cannot hold more than 10 unproven evaluations open at once', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const thief = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await rawUnlock(thief, relay.origin, keys, String(i).padStart(6, '0')));
    expect(answers.slice(0, 10).map((answer) => answer.ok === false && answer.attemptsLeft)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(answers[10]).toMatchObject({ ok: false, code: 'pin_attempts' });
    // The owner, elsewhere, is refused too until the thief's attempts become failures; then it is locked.
    const ownerSocket = (await RawDeviceSocket.authenticated(relay.origin, [keys])).raw;
    expect(await rawUnlock(ownerSocket, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: false, code: 'pin_attempts' });
    relay.clock.advance(60_000);
    expect(await rawUnlock(ownerSocket, relay.origin, keys, TEST_PIN)).toMatchObject({ ok: false, code: 'pin_locked' });
  });
});
