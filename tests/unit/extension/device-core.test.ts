import { onTestFinished, vi } from 'vitest';
import {
  REDEEM_PAIRING_PATH,
  buildPairingLink,
  randomBytes,
  randomId,
  toBase64Url,
  type RelayToDeviceMessage,
} from '../../../protocol/index.ts';
import { readRedeemAnswer, type ClosedSocket } from '../../../protocol/device/index.ts';
import { unlockWithPin, type PinChannel } from '../../../protocol/device/pin-unlock.ts';
import { evaluateBlindedPin } from '../../../protocol/pin-oprf.ts';
import { PinRelay } from '../../../extension/entrypoints/background/pin-relay.ts';
import { isActiveAccount, type ActiveAccount, type Db } from '../../../extension/lib/db.ts';
import { DecisionWaiters, decide, type DecideRequest } from '../../../extension/lib/decide.ts';
import { handleRelayFrame, type FrameEffects } from '../../../extension/lib/frame-handler.ts';
import { pairAccount } from '../../../extension/lib/pair-account.ts';
import { approveWithPin } from '../../../extension/lib/pin-flows.ts';
import { confirmPinWrap, dropUnconfirmed } from '../../../extension/lib/pin-records.ts';
import { RelayConnections } from '../../../extension/lib/relay-connections.ts';
import type { PinAccount, ResponseFor, RuntimeRequest } from '../../../extension/lib/runtime-messages.ts';
import { storeBiometric, wrapForBiometric } from '../../../extension/lib/webauthn-unlock.ts';
import { webCryptoDeviceCrypto } from '../../../extension/lib/webcrypto-device-crypto.ts';
import {
  FAKE_RELAY_PIN,
  MemorySockets,
  SUITE_WAIT_MS,
  WaitQueue,
  deviceCoreSuite,
  fakeOprfKeys,
  redeemed,
  type DeviceHarness,
  type PairOutcome,
  type PairedAccount,
  type RedeemEndpoint,
} from '../protocol/device-core-suite.ts';
import { freshDb } from './helpers.ts';

/**
 * The shared device suite run against the extension's use of the core: pairing through
 * pairAccount (WebCrypto connect key, the approval key wrapped under the relay's OPRF evaluation
 * of the PIN), sockets through RelayConnections, frames through the worker's PinRelay and the
 * frame handler, a PIN approval through the approval window's approveWithPin (its runtime
 * messages answered here as the worker answers them), and decisions through decide(), each on
 * fake-indexeddb and in-memory sockets: the extension's code minus its browser APIs.
 */

/** The worker's side of the pages' PIN messages, per device: what device-service.ts does with them. */
const workers = new Map<string, { relayOrigin: string; pinRelay: PinRelay }>();

async function answerAsWorker(request: RuntimeRequest): Promise<unknown> {
  const deviceId =
    request.type === 'pinRekey' || request.type === 'pinProof'
      ? request.frame.deviceId
      : 'deviceId' in request
        ? request.deviceId
        : undefined;
  const worker = deviceId === undefined ? undefined : workers.get(deviceId);
  if (!worker) return { ok: false, code: 'unknown_account' };
  const { relayOrigin, pinRelay } = worker;
  switch (request.type) {
    case 'pinUnlock':
      return pinRelay.unlock(relayOrigin, request.deviceId, request.blinded);
    case 'pinNonce': {
      const socket = await pinRelay.readySocket(relayOrigin, request.deviceId);
      return 'ok' in socket ? socket : { ok: true, nonce: socket.nonce };
    }
    case 'pinRekey':
      return pinRelay.rekey(relayOrigin, request.nonce, request.frame);
    case 'pinProof':
      return { ok: pinRelay.sendProof(relayOrigin, request.nonce, request.frame) };
    default:
      throw new Error(`the suite's worker does not answer ${request.type}`);
  }
}

vi.mock('../../../extension/lib/runtime-client.ts', () => ({
  call: <T extends RuntimeRequest>(request: T) => answerAsWorker(request) as Promise<ResponseFor<T>>,
  onChanged: () => () => undefined,
}));

/** A fake WebAuthn PRF output: biometric unlock is set up with it on every suite device. */
const PRF = new Uint8Array(32).fill(3);

/**
 * The fake relay's side of the confirming unlock at pairing (section 4a), before the suite's
 * sockets exist: it evaluates with the OPRF key `redeemed` made and takes the proof.
 */
function pairingChannel(relayOrigin: string): PinChannel {
  return {
    relayOrigin,
    unlock: async (deviceId, blinded) => ({
      answer: { ok: true, evaluated: evaluateBlindedPin(fakeOprfKeys.get(deviceId)!, blinded), attemptsLeft: 10 },
      nonce: 'pairing-socket-nonce',
    }),
    rekey: async () => ({ answer: { ok: false, code: 'unsupported', message: 'not at pairing' }, nonce: null }),
    sendOn: async (_nonce, frame) => frame.type === 'unlock_proof',
  };
}

async function pairing(db: Db, link: string, redeem: RedeemEndpoint): Promise<PairOutcome> {
  const outcome = await pairAccount({
    link,
    pin: FAKE_RELAY_PIN,
    deviceName: 'Chromium on Linux',
    checkPin: async () => ({ ok: true }),
    // The worker's redeem (entrypoints/background/redeem-pairing.ts) against the suite's endpoint.
    redeem: async (relayOrigin, body) => {
      const answer = redeem(`${relayOrigin}${REDEEM_PAIRING_PATH}`, body);
      return readRedeemAnswer(answer.status, answer.body);
    },
    store: async (account) => {
      await db.put('accounts', account);
      return true;
    },
    accountAdded: async () => ({ ok: true }),
    channel: pairingChannel,
    confirmed: (deviceId) => confirmPinWrap(db, deviceId),
    failed: (deviceId) => dropUnconfirmed(db, deviceId),
    now: Date.now,
  });
  if (!outcome.ok) return { ok: false, code: outcome.code };
  const { deviceId, publicKey, connectPublicKey } = outcome.account;
  return { ok: true, account: { deviceId, publicKey, connectPublicKey } };
}

/** What the approval window gets for an account (device-service's pinAccountOf). */
function pinAccountOf(account: ActiveAccount): PinAccount {
  return {
    deviceId: account.deviceId,
    relayOrigin: account.relayOrigin,
    upn: account.upn,
    publicKey: account.publicKey,
    pinWrap: account.pinWrap ?? null,
    legacy: null,
    pinLocked: account.pinLocked === true,
  };
}

/** Biometric unlock as the options page turns it on: each account unlocked with the PIN, wrapped under the PRF key. */
async function enableBiometric(db: Db, relayOrigin: string): Promise<void> {
  const secrets = [];
  for (const account of (await db.getAll('accounts')).filter(isActiveAccount)) {
    const unlocked = await unlockWithPin({
      pin: FAKE_RELAY_PIN,
      deviceId: account.deviceId,
      wrapped: account.pinWrap!,
      channel: pairingChannel(relayOrigin),
      approvalSigner: (secret) => webCryptoDeviceCrypto.approvalSigner(secret, account.publicKey),
    });
    if (!unlocked.ok) throw new Error(`the PIN did not open ${account.upn}: ${unlocked.code}`);
    secrets.push({ deviceId: account.deviceId, publicKey: account.publicKey, secretKey: unlocked.secretKey });
  }
  const { check, wrappedKeys } = await wrapForBiometric(new Uint8Array(PRF), secrets);
  for (const { secretKey } of secrets) secretKey.fill(0);
  await storeBiometric(db, {
    credentialId: toBase64Url(randomBytes(32)),
    prfSalt: toBase64Url(randomBytes(32)),
    check,
    wrappedKeys,
    now: Date.now(),
  });
}

const failure = (code: string) => Object.assign(new Error(`the extension did not decide: ${code}`), { code });

deviceCoreSuite({
  name: 'extension',
  // The extension unlocks the approval key with its PIN, or with a WebAuthn PRF output (biometric unlock).
  unlocks: ['pin', 'webauthn'],

  pair: async (link, redeem) => pairing(await freshDb(), link, redeem),

  async device({ accounts: count }) {
    const db = await freshDb();
    const relayOrigin = `http://127.0.0.1:${20_000 + Math.floor(Math.random() * 40_000)}`;
    const accounts: PairedAccount[] = [];
    for (let i = 0; i < count; i++) {
      const upn = `user${i}@demo.test`;
      const outcome = await pairing(db, buildPairingLink({ relayOrigin, token: randomId(), upn }), (_url, body) => redeemed(body, upn));
      if (!outcome.ok) throw new Error(`pairing failed: ${outcome.code}`);
      accounts.push(outcome.account);
    }
    await enableBiometric(db, relayOrigin);

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
      ownPinFailure: (deviceId) => pinRelay.claimOwnFailure(deviceId),
    };
    // Wired as device-service.ts wires them: the PIN relay sees every frame first.
    const connections: RelayConnections = new RelayConnections({
      db: async () => db,
      createSocket: sockets.create,
      handleFrame: async (origin, frame) => {
        if (pinRelay.take(origin, frame)) return;
        await handleRelayFrame(db, origin, frame, effects);
        // Handed on once the frame handler is done with it, so the suite can answer a challenge at once.
        delivered.push(frame);
      },
      changed: () => undefined,
      onClose: (origin, closed) => {
        pinRelay.socketClosed(origin);
        closes.push(closed);
      },
      random: () => 0,
      now: Date.now,
      log: () => undefined,
    });
    const pinRelay: PinRelay = new PinRelay({
      connection: (origin) => connections.for(origin),
      readyTimeoutMs: SUITE_WAIT_MS,
      now: Date.now,
      locked: async () => undefined,
    });
    for (const account of accounts) workers.set(account.deviceId, { relayOrigin, pinRelay });
    onTestFinished(() => {
      connections.for(relayOrigin).stop();
      for (const account of accounts) workers.delete(account.deviceId);
    });

    const answer = async (request: DecideRequest) => {
      const result = await decide(request, {
        db,
        effects,
        recall: () => null,
        connections,
        waiters,
        readyTimeoutMs: SUITE_WAIT_MS,
        resultTimeoutMs: SUITE_WAIT_MS,
      });
      if (!result.ok) throw failure(result.code);
      return result;
    };

    /** The approval window's PIN approve: unlock with the relay and sign there, then the worker sends it. */
    const approveWithThePin = async (requestId: string, number: string, pin: string) => {
      const pending = await db.get('pending', requestId);
      const account = pending && (await db.get('accounts', pending.challenge.deviceId));
      if (!isActiveAccount(account)) throw failure('not_pending');
      const signed = await approveWithPin({ account: pinAccountOf(account), requestId, number, pin, remember: false });
      if (!signed.ok) throw failure(signed.code);
      return answer({ requestId, decision: 'approve', number, signed: signed.signed, remember: false });
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
      approve: (requestId, number, unlock, pin = FAKE_RELAY_PIN) =>
        unlock === 'webauthn'
          ? answer({ requestId, decision: 'approve', number, prf: toBase64Url(PRF), remember: false })
          : approveWithThePin(requestId, number, pin),
      refuse: (requestId, decision) => answer({ requestId, decision, number: '', remember: false }),
      // What the worker does after adding an account on a relay it is connected to.
      reauthenticate: () => void connections.accountAdded(relayOrigin),
    };
    return harness;
  },
});
