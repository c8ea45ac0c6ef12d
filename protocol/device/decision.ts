import type { DecisionMessage } from '../messages.ts';
import { isMatchNumber } from '../number-match.ts';
import { decisionStatement, type Decision, type Unlock } from '../statements.ts';
import type { StatementSigner } from './device-crypto.ts';

/**
 * A signed `decision` frame (section 4). An approve carries the number and is signed by the
 * approval key, unlocked by `pin` or `webauthn`; a deny or report carries no number and may be
 * signed by the connect key with `unlock: 'none'`, so refusing never needs the user's PIN.
 */
export type DecisionProblem = 'invalid_number' | 'unlock_required';

export function checkDecision(input: { decision: Decision; number: string; digits: number; unlock: Unlock }): DecisionProblem | null {
  if (input.decision === 'approve') {
    if (input.unlock === 'none') return 'unlock_required';
    if (!isMatchNumber(input.number, input.digits)) return 'invalid_number';
  } else if (input.number !== '') return 'invalid_number';
  return null;
}

/** @example await buildDecision({relayOrigin, requestId, deviceId, decision: 'deny', number: '', signedAt: Date.now(), unlock: 'none', signer: connect}) */
export async function buildDecision(
  input: Parameters<typeof decisionStatement>[0] & { signer: StatementSigner },
): Promise<DecisionMessage> {
  const { signer, relayOrigin, ...fields } = input;
  const signature = await signer.sign(decisionStatement({ relayOrigin, ...fields }));
  return { type: 'decision', ...fields, signature };
}
