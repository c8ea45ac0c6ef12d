import { onTestFinished } from 'vitest';
import { buildPairingLink, randomBytes, randomId, toBase64Url, type RelayToDeviceMessage } from '../../../protocol/index.ts';
import type { ClosedSocket } from '../../../protocol/device/index.ts';
import type { Db } from '../../../extension/lib/db.ts';
import { DecisionWaiters, decide, type DecideRequest } from '../../../extension/lib/decide.ts';
import { handleRelayFrame, type FrameEffects } from '../../../extension/lib/frame-handler.ts';
import { pairAccount, type PairAccountInput } from '../../../extension/lib/pair-account.ts';
import { checkPin, setupPin } from '../../../extension/lib/pin-lock.ts';
import { RelayConnections } from '../../../extension/lib/relay-connections.ts';
import { enableBiometric } from '../../../extension/lib/webauthn-unlock.ts';
import {
  MemorySockets,
  SUITE_WAIT_MS,
  WaitQueue,
  deviceCoreSuite,
  redeemed,
  type DeviceHarness,
  type RedeemEndpoint,
} from '../protocol/device-core-suite.ts';
import { FAST_ITERATIONS, freshDb } from './helpers.ts';

/**
 * The shared device suite run against the extension's use of the core: pairing through
 * pairAccount (WebCrypto connect key, PIN-wrapped approval key), sockets through
 * RelayConnections, frames through the frame handler, and decisions through decide(), each
 * on fake-indexeddb and in-memory sockets: the worker's code minus its browser APIs.
 */

const PIN = '123456';
/** A fake WebAuthn PRF output: biometric unlock is set up with it on every suite device. */
const PRF = new Uint8Array(32).fill(3);

async function lockedDb(): Promise<Db> {
  const db = await freshDb();
  await setupPin(db, PIN, FAST_ITERATIONS);
  return db;
}

function pairing(db: Db, link: string, redeem: RedeemEndpoint): Promise<Awaited<ReturnType<typeof pairAccount>>> {
  const input: PairAccountInput = {
    db,
    link,
    unlock: async () => {
      const check = await checkPin(db, PIN, Date.now());
      return check.ok ? { ok: true, key: check.key } : { ok: false, code: check.code };
    },
    deviceName: 'Chromium on Linux',
    post: async (url, body) => redeem(url, body as Record<string, unknown>),
    now: Date.now,
  };
  return pairAccount(input);
}

deviceCoreSuite({
  name: 'extension',
  // The extension unlocks the approval key with its PIN, or with a WebAuthn PRF output (biometric unlock).
  unlocks: ['pin', 'webauthn'],

  async pair(link, redeem) {
    const outcome = await pairing(await lockedDb(), link, redeem);
    if (!outcome.ok) return { ok: false, code: outcome.code };
    const { deviceId, publicKey, connectPublicKey } = outcome.account;
    return { ok: true, account: { deviceId, publicKey, connectPublicKey } };
  },

  async device({ accounts: count }) {
    const db = await lockedDb();
    const relayOrigin = `http://127.0.0.1:${20_000 + Math.floor(Math.random() * 40_000)}`;
    const accounts = [];
    for (let i = 0; i < count; i++) {
      const outcome = await pairing(db, buildPairingLink({ relayOrigin, token: randomId(), upn: `user${i}@demo.test` }), () =>
        redeemed(`user${i}@demo.test`),
      );
      if (!outcome.ok) throw new Error(`pairing failed: ${outcome.code}`);
      const { deviceId, publicKey, connectPublicKey } = outcome.account;
      accounts.push({ deviceId, publicKey, connectPublicKey });
    }
    const pinCheck = await checkPin(db, PIN, Date.now());
    if (!pinCheck.ok) throw new Error('the PIN did not open the lock');
    await enableBiometric(db, {
      pinKey: pinCheck.key,
      credentialId: toBase64Url(randomBytes(32)),
      prfSalt: toBase64Url(randomBytes(32)),
      prfOutput: new Uint8Array(PRF),
      now: Date.now(),
    });

    const sockets = new MemorySockets();
    const delivered = new WaitQueue<RelayToDeviceMessage>('frame for the account logic');
    const closes = new WaitQueue<ClosedSocket>('close');
    const waiters = new DecisionWaiters();
    const effects: FrameEffects = {
      now: Date.now,
      challengeArrived: () => undefined,
      challengeSettled: (requestId, outcome) => waiters.settled(requestId, outcome),
      accountsChanged: () => void connections.sync(),
      noticeArrived: () => undefined,
    };
    const connections: RelayConnections = new RelayConnections({
      db: async () => db,
      createSocket: sockets.create,
      // Handed on once the frame handler is done with it, so the suite can answer a challenge at once.
      handleFrame: async (origin, frame) => {
        await handleRelayFrame(db, origin, frame, effects);
        delivered.push(frame);
      },
      changed: () => undefined,
      onClose: (_origin, closed) => closes.push(closed),
      random: () => 0,
      now: Date.now,
      log: () => undefined,
    });
    onTestFinished(() => connections.for(relayOrigin).stop());

    const answer = async (request: DecideRequest) => {
      const result = await decide(request, {
        db,
        effects,
        unlock: async (pin) => {
          const check = await checkPin(db, pin ?? '', Date.now());
          return check.ok ? { ok: true, key: check.key } : { ok: false, code: check.code };
        },
        connections,
        waiters,
        readyTimeoutMs: SUITE_WAIT_MS,
        resultTimeoutMs: SUITE_WAIT_MS,
      });
      if (!result.ok) throw new Error(`the extension did not decide: ${result.code}`);
      return result;
    };

    const harness: DeviceHarness = {
      relayOrigin,
      accounts,
      connect: () => void connections.sync(),
      connected: async () => {
        if (!(await connections.for(relayOrigin).waitUntilReady(SUITE_WAIT_MS))) throw new Error('not connected');
      },
      nextSocket: () => sockets.next(),
      socketsOpened: () => sockets.opened.length,
      nextDelivered: () => delivered.next(),
      nextClose: () => closes.next(),
      state: () => connections.state(relayOrigin),
      approve: async (requestId, number, unlock) => {
        return unlock === 'webauthn'
          ? answer({ requestId, decision: 'approve', number, prf: toBase64Url(PRF), remember: false })
          : answer({ requestId, decision: 'approve', number, pin: PIN, remember: false });
      },
      refuse: (requestId, decision) => answer({ requestId, decision, number: '', remember: false }),
      // What the worker does after adding an account on a relay it is connected to.
      reauthenticate: () => void connections.accountAdded(relayOrigin),
    };
    return harness;
  },
});
