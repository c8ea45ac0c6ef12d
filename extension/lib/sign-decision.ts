import type { ChallengeMessage, Decision, DecisionMessage } from '../../protocol/index.ts';
import { buildDecision, checkDecision, type DeviceCrypto, type DecisionProblem } from '../../protocol/device/index.ts';
import type { ActiveAccount } from './db.ts';
import { unwrapApprovalKey } from './pin-lock.ts';
import { unwrapWithPrfKey, type WebAuthnUnlock } from './webauthn-unlock.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * Signs one decision (docs/protocol.md sections 2 and 4). An approve needs the PIN: the approval
 * key is unwrapped with the PIN key for this one signature and wiped right after (`unlock:
 * "pin"`), or with the key derived from a WebAuthn PRF output (`unlock: "webauthn"`). Deny and "It wasn't me" never touch the approval key: the connect key signs them
 * with `unlock: "none"`, so refusing needs no PIN, as on a phone.
 */
export type SignDecisionProblem = DecisionProblem | 'pin_required';

export async function signDecision(input: {
  account: ActiveAccount;
  challenge: ChallengeMessage;
  decision: Decision;
  /** The digits entered or picked; ignored (empty) for deny and report. */
  number: string;
  signedAt: number;
  /** The checked PIN-derived key; only an approve uses it. */
  pinKey: CryptoKey | null;
  /** Biometric unlock for this one approve; when given, it is used instead of the PIN key. */
  webauthn?: WebAuthnUnlock | null;
  crypto?: DeviceCrypto<CryptoKey>;
}): Promise<{ ok: true; message: DecisionMessage } | { ok: false; code: SignDecisionProblem }> {
  const { account, challenge, decision } = input;
  const approve = decision === 'approve';
  const number = approve ? input.number : '';
  const unlock = !approve ? 'none' : input.webauthn ? 'webauthn' : 'pin';
  const problem = checkDecision({ decision, number, digits: challenge.match.digits, unlock });
  if (problem) return { ok: false, code: problem };
  const fields = {
    relayOrigin: account.relayOrigin,
    requestId: challenge.requestId,
    deviceId: account.deviceId,
    decision,
    number,
    signedAt: input.signedAt,
    unlock,
  } as const;
  const crypto = input.crypto ?? webCryptoDeviceCrypto;
  if (!approve) {
    const signer = crypto.connectSigner(account.connectKey, account.connectPublicKey);
    return { ok: true, message: await buildDecision({ ...fields, signer }) };
  }
  if (!input.webauthn && !input.pinKey) return { ok: false, code: 'pin_required' };
  const secret = input.webauthn ? await unwrapWithPrfKey(input.webauthn, account) : await unwrapApprovalKey(input.pinKey!, account);
  try {
    return { ok: true, message: await buildDecision({ ...fields, signer: crypto.approvalSigner(secret, account.publicKey) }) };
  } finally {
    secret.fill(0);
  }
}
