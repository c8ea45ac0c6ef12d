import type { PairingLink } from '../pairing-link.ts';
import { parse } from '../parse.ts';
import { RedeemPairingResponse, type RedeemPairingBody } from '../messages.ts';
import { pairStatement } from '../statements.ts';
import type { DeviceCrypto } from './device-crypto.ts';

/**
 * Pairing, device side (section 3): two fresh key pairs for the account, the `pair` statement
 * signed by the approval key, and the redeem body with the blinded PIN. The caller posts `body`
 * to REDEEM_PAIRING_PATH, wraps `approvalKey.secretKey` under the answer's `pinEvaluated`
 * (`wrapUnderEvaluation`), keeps `connectKey`, confirms the wrap on its socket, then wipes the secret.
 */
export interface PreparedPairing<ConnectKey> {
  body: RedeemPairingBody;
  approvalKey: { secretKey: Uint8Array; publicKey: string };
  connectKey: { key: ConnectKey; publicKey: string };
}

export async function preparePairing<ConnectKey>(input: {
  offer: PairingLink;
  deviceName: string;
  crypto: DeviceCrypto<ConnectKey>;
  /** The PIN blinded for the new OPRF key (section 4a, `blindPin`); the caller keeps the blind. */
  pinBlinded: string;
}): Promise<PreparedPairing<ConnectKey>> {
  const { offer, deviceName, crypto, pinBlinded } = input;
  const approvalKey = await crypto.newApprovalKey();
  const connectKey = await crypto.newConnectKey();
  // Equal keys would let the connect key approve; the odds are nil, the check is free.
  if (approvalKey.publicKey === connectKey.publicKey) throw new Error('the two device keys came out equal');
  const statement = pairStatement({
    relayOrigin: offer.relayOrigin,
    pairingToken: offer.token,
    publicKey: approvalKey.publicKey,
    connectPublicKey: connectKey.publicKey,
    deviceName,
  });
  const body: RedeemPairingBody = {
    token: offer.token,
    publicKey: approvalKey.publicKey,
    connectPublicKey: connectKey.publicKey,
    deviceName,
    pinBlinded,
    signature: await crypto.approvalSigner(approvalKey.secretKey, approvalKey.publicKey).sign(statement),
  };
  return { body, approvalKey, connectKey };
}

export type RedeemAnswer =
  | { ok: true; value: RedeemPairingResponse }
  /** `code` is the relay's error code, `http_{status}`, or `bad_response`. */
  | { ok: false; code: string; message?: string };

/** Reads the relay's answer to a redeem: 201 with a valid body, or the relay's error code. */
export function readRedeemAnswer(status: number, body: unknown): RedeemAnswer {
  if (status !== 201) {
    const error = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
    const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
    return typeof error?.message === 'string' ? { ok: false, code, message: error.message } : { ok: false, code };
  }
  const parsed = parse(RedeemPairingResponse, body);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, code: 'bad_response', message: parsed.message };
}
