import { preparePairing, readPairingLink, type DeviceCrypto, type RedeemAnswer } from '../../protocol/device/index.ts';
import type { RedeemPairingBody } from '../../protocol/index.ts';
import { confirmNewWrap, wrapUnderEvaluation, type PinChannel } from '../../protocol/device/pin-unlock.ts';
import { blindPin } from '../../protocol/pin-oprf.ts';
import type { ActiveAccount } from './db.ts';
import { isValidPin } from '../../protocol/pin-rule.ts';
import type { Failure } from './runtime-messages.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * Adds an account from a pairing link (docs/protocol.md sections 3 and 4a), in the popup: it holds
 * noble's OPRF, the worker does not. Two fresh key pairs; the PIN goes to the relay only blinded
 * (`pinBlinded`); the approval key is wrapped under the key the relay's `pinEvaluated` gives, and
 * the new account is kept `unconfirmed` until an unlock on its socket opens that wrap and the
 * proof went out: only then does an older entry for the same person go (the worker does that on
 * `pinConfirmed`). The approval scalar is wiped whatever happens. Links to an `http` relay off
 * loopback are refused (`insecure_relay`) before anything else.
 */

export interface PairAccountInput {
  link: string;
  pin: string;
  deviceName: string;
  /** Checks the PIN against an account already here (a counted unlock), when there is one. */
  checkPin(): Promise<{ ok: true } | Failure>;
  /** Redeems the offer at the relay (the worker posts it and reads the answer); throws when unreachable. */
  redeem(relayOrigin: string, body: RedeemPairingBody): Promise<RedeemAnswer>;
  /** Stores the new, still unconfirmed account (the worker owns the database). */
  store(account: ActiveAccount): Promise<boolean>;
  /** The worker connects the stored account (its socket carries the confirming unlock). */
  accountAdded(deviceId: string): Promise<{ ok: true } | Failure>;
  channel(relayOrigin: string): PinChannel;
  confirmed(deviceId: string): Promise<unknown>;
  failed(deviceId: string): Promise<unknown>;
  now(): number;
  crypto?: DeviceCrypto<CryptoKey>;
}

/**
 * Failure codes: `invalid_link`, `insecure_relay`, `invalid_pin`, the PIN check's (`wrong_pin`,
 * `pin_locked`, …), `relay_unreachable`, the relay's own (`pairing_used`, `pairing_expired`,
 * `bad_signature`, …, `http_{status}`, `bad_response`), or `pairing_unconfirmed`.
 */
export async function pairAccount(input: PairAccountInput): Promise<{ ok: true; account: ActiveAccount } | Failure> {
  const reading = readPairingLink(input.link);
  if (!reading.ok) return { ok: false, code: reading.code };
  if (!isValidPin(input.pin)) return { ok: false, code: 'invalid_pin' };
  const { offer } = reading;
  const checked = await input.checkPin();
  if (!checked.ok) return checked;
  const crypto = input.crypto ?? webCryptoDeviceCrypto;
  const pending = blindPin(input.pin);
  const prepared = await preparePairing({ offer, deviceName: input.deviceName, crypto, pinBlinded: pending.blinded });
  const secretKey = prepared.approvalKey.secretKey;
  try {
    let redeemed: RedeemAnswer;
    try {
      redeemed = await input.redeem(offer.relayOrigin, prepared.body);
    } catch {
      return { ok: false, code: 'relay_unreachable' };
    }
    if (!redeemed.ok) return { ok: false, code: redeemed.code };
    const { deviceId, account, relay, pinEvaluated } = redeemed.value;
    let pinWrap;
    try {
      ({ wrapped: pinWrap } = await wrapUnderEvaluation({
        pin: input.pin,
        pending,
        evaluated: pinEvaluated,
        deviceId,
        relayOrigin: offer.relayOrigin,
        secretKey,
      }));
    } catch {
      return { ok: false, code: 'bad_response' };
    }
    const record: ActiveAccount = {
      status: 'active',
      deviceId,
      relayOrigin: offer.relayOrigin,
      relayName: relay.name,
      userId: account.userId,
      upn: account.upn,
      displayName: account.displayName,
      deviceName: input.deviceName,
      publicKey: prepared.approvalKey.publicKey,
      pinWrap,
      connectPublicKey: prepared.connectKey.publicKey,
      connectKey: prepared.connectKey.key,
      createdAt: input.now(),
      unconfirmed: true,
    };
    if (!(await input.store(record))) return { ok: false, code: 'internal_error' };
    const connected = await input.accountAdded(deviceId);
    const confirmed = connected.ok
      ? await confirmNewWrap({
          pin: input.pin,
          deviceId,
          wrapped: pinWrap,
          channel: input.channel(offer.relayOrigin),
          approvalSigner: (secret) => crypto.approvalSigner(secret, record.publicKey),
          secretKey,
        })
      : connected;
    if (!confirmed.ok) {
      await input.failed(deviceId);
      return { ok: false, code: 'pairing_unconfirmed' };
    }
    await input.confirmed(deviceId);
    const { unconfirmed: _, ...kept } = record;
    return { ok: true, account: kept };
  } finally {
    secretKey.fill(0);
    pending.blind.fill(0);
  }
}
