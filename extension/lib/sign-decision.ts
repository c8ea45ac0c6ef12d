import { matchDigits, type ChallengeMessage, type Decision, type DecisionMessage } from '../../protocol/index.ts';
import { buildDecision, checkDecision, type DeviceCrypto, type DecisionProblem } from '../../protocol/device/index.ts';
import type { ActiveAccount } from './db.ts';
import { unwrapWithPinKey } from '../../protocol/pin-wrap.ts';
import { unwrapWithPrfKey, type WebAuthnUnlock } from './webauthn-unlock.ts';
import { webCryptoDeviceCrypto } from './webcrypto-device-crypto.ts';

/**
 * Signs one decision in the worker (docs/protocol.md sections 2 and 4). An approve here is
 * unlocked by the account's PIN wrapping key remembered for 5 minutes (`unlock: "pin"`, no
 * evaluation: section 4a), or by the key derived from a WebAuthn PRF output (`unlock:
 * "webauthn"`); the approval key is unwrapped for this one signature and wiped right after. A PIN
 * typed for this approve is handled by the approval window (lib/pin-flows.ts), which signs there.
 * Deny and "It wasn't me" never touch the approval key: the connect key signs them with
 * `unlock: "none"`, so refusing needs no PIN, as on a phone.
 */
export type SignDecisionProblem = DecisionProblem | 'pin_required';

export async function signDecision(input: {
  account: ActiveAccount;
  challenge: ChallengeMessage;
  decision: Decision;
  /** The digits entered or picked; ignored (empty) for deny and report. */
  number: string;
  signedAt: number;
  /** The remembered PIN wrapping key of this account; only an approve uses it. */
  pinKey: CryptoKey | null;
  /** Biometric unlock for this one approve; when given, it is used instead of the PIN key. */
  webauthn?: WebAuthnUnlock | null;
  crypto?: DeviceCrypto<CryptoKey>;
}): Promise<{ ok: true; message: DecisionMessage } | { ok: false; code: SignDecisionProblem }> {
  const { account, challenge, decision } = input;
  const approve = decision === 'approve';
  const number = approve ? input.number : '';
  const unlock = !approve ? 'none' : input.webauthn ? 'webauthn' : 'pin';
  const problem = checkDecision({ decision, number, digits: matchDigits(challenge.match), unlock });
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
  if (!input.webauthn && (!input.pinKey || !account.pinWrap)) return { ok: false, code: 'pin_required' };
  const secret = input.webauthn
    ? await unwrapWithPrfKey(input.webauthn, account)
    : await unwrapWithPinKey(input.pinKey!, account.pinWrap!, account.deviceId);
  // A remembered key that no longer opens the wrap (the PIN changed meanwhile): ask for the PIN.
  if (!secret) return { ok: false, code: 'pin_required' };
  try {
    return { ok: true, message: await buildDecision({ ...fields, signer: crypto.approvalSigner(secret, account.publicKey) }) };
  } finally {
    secret.fill(0);
  }
}
